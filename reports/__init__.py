"""Reports: KPIs and exports computed with pandas; reads only."""
