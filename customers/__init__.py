"""Customer service: tracking codes, feedback, complaints, returns, compensation, outbox."""
