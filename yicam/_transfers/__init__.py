"""File work: data port and HTTP transfers, verified downloads, media listing, sync."""
