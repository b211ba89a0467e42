"""Jobs on one camera: tethered shooting, time-lapse, new-media watching, settings profiles."""
