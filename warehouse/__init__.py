"""Warehouse: depots, stock batches, storage readings, holds, vehicles and inspections."""
