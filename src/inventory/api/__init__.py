"""The HTTP API of both Workers: routes as data, request checks, the OpenAPI document, shared endpoints."""
