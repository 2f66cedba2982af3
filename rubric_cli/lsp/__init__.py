"""The language server of `rubric lsp`: `analysis` knows the rubric (diagnostics, hover, definitions),
`server` speaks the protocol (pygls). Imported only by `rubric lsp`, so no other command loads pygls."""
