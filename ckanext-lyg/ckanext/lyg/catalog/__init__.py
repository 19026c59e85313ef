"""The government information resource catalog (catalog.md): rules, resource
codes, classification groups and the exchange workbook."""
