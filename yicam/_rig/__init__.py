"""How cameras are wired into a rig: station-mode card files, interface binding, discovery."""
