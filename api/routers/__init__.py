"""One router module per area; handlers parse, call one service function and shape the reply."""
