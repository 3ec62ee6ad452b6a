//! `CORS_*`: which origins, methods and headers browsers may use.

/// A comma-separated list that may be `*` for "any".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowList {
    Any,
    Only(Vec<String>),
}

impl AllowList {
    pub(super) fn parse(raw: &str) -> Self {
        let items: Vec<String> = raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if items.iter().any(|s| s == "*") {
            AllowList::Any
        } else {
            AllowList::Only(items)
        }
    }
}

/// CORS configuration (contract §1.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsSettings {
    pub origins: AllowList,
    pub methods: AllowList,
    pub headers: AllowList,
}
