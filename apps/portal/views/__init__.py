"""Portal pages, one module per area: webmaster, merchant, money (reports, statements),
disputes (claims and missing-commission disputes)."""
