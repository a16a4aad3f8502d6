"""The real card reader stack: a private pcscd with vpcd and the project's virtual cards."""
