"""`sameday simulate`: plays a whole demo day against a running API and reports what happened."""
