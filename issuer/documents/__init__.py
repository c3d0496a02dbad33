"""What holders receive: the PDF certificate, baked badges, share links."""
