"""Delivering the notification outbox: render, send through a channel, retry, give up."""
