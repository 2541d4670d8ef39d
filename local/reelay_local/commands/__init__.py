"""What starts the emulator: `reelay up`, `reelay demo`, `reelay sim-faults`, and the launcher they share."""
