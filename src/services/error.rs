//! The service layer's error: what went wrong in a use case, in terms of
//! the use case (not found, refused, unavailable…). The HTTP layer
//! (`crate::error::during`) turns it into a status and a body.

/// Errors of the service layer; handlers add the action name.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    /// Something the request needs is out of service for now (503).
    #[error("{0}")]
    Unavailable(String),
    /// A service this one relies on refused or failed the request (502).
    #[error("{0}")]
    Upstream(String),
    #[error("{0}")]
    Other(String),
}
