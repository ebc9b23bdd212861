# Convenience targets; the scripts are the source of truth.
.PHONY: test terraform terraform-oldest ci

test:
	scripts/test

terraform:
	scripts/install-terraform 1.15.5

terraform-oldest:
	scripts/install-terraform 1.6.6

ci:
	CI=true bash .ci/run
