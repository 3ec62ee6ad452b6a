//! Tests of the contract; see ../../../shared/api-contract.md.
