# Convenience targets; the scripts are the source of truth.
.PHONY: test terraform terraform-oldest ci demo docs docs-check release

test:
	scripts/test

terraform:
	scripts/install-terraform 1.15.5

terraform-oldest:
	scripts/install-terraform 1.6.6

ci:
	CI=true bash .ci/run

# The provider against the local simulator with the real Terraform: plan, apply, plan, destroy.
demo:
	scripts/demo

# Regenerate docs/ from the provider's schema and examples/.
docs:
	scripts/gen-docs

# Fail when docs/ is stale.
docs-check:
	scripts/gen-docs --check

# dist/ with the Registry zip, manifest and SHA256SUMS (VERSION defaults to Cargo.toml's).
release:
	scripts/release $(VERSION)
