"""``python -m verifier TOKEN|FILE|--qr IMAGE``: the offline verify command, standalone."""

from verifier.cli import main

main()
