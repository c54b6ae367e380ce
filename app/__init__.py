"""Hello Work employer My Page (ハローワーク 求人者マイページ) as a GraphQL service."""
