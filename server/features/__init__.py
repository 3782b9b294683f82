"""The language server's editor features, one module each, each with `register(server)`."""
