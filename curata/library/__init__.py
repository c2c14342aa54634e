"""The tagged photo library (seed 001): its records and the pattern analyses learned from them."""
