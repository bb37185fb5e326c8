"""Dispatch: couriers and shifts, plan jobs, publishing, manifests, departure gate, replanning."""
