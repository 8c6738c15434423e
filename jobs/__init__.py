"""What runs on a clock: checks, scheduler, delivery worker, digests, importers."""
