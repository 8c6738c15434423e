"""loanwatch: a company's credit-line ledger, checked against what the platforms show."""
