"""The AWS services lambdaport owns (one package each) and the moto-served tail."""
