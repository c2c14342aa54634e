"""Software-defined assets: thin wiring around the `curata` domain package."""
