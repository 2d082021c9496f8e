"""lambdaport: a local, Docker-free, AWS-compatible AWS Lambda with real triggers."""

__version__ = "0.1.0"
