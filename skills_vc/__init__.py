"""skills-vc: verifiable credentials for skills acquired while volunteering."""

__version__ = "0.1.0"
