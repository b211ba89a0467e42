"""Many cameras: named cameras, discovery, the fleet, its trigger and clock alignment."""
