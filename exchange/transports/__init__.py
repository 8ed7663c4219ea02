"""One small transport per channel (webhook, e-mail, inbox) behind one interface (transports.base)."""
