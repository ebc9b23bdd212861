# Convenience targets; the scripts are the source of truth.
.PHONY: test terraform terraform-oldest cargo-deny deps deps-advisories ci demo docs docs-check release

test:
	scripts/test

terraform:
	scripts/install-terraform 1.15.5

terraform-oldest:
	scripts/install-terraform 1.6.6

cargo-deny:
	scripts/install-cargo-deny

# cargo-deny against deny.toml: licenses, bans, sources (offline; part of `make test`).
deps:
	scripts/check-deps

# The same plus RustSec advisories; needs github.com (the advisory database).
deps-advisories:
	scripts/check-deps --advisories

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
