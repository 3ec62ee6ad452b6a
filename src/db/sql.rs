//! A statement built piece by piece with `$N` placeholders. sqlx's
//! `QueryBuilder` for the `Any` driver writes `?`, which PostgreSQL rejects;
//! `$N` works on both backends.

use sqlx::any::{Any, AnyArguments};
use sqlx::{Arguments, Encode, Type};

/// SQL text plus its bound values, in order.
#[derive(Default)]
pub struct Sql {
    text: String,
    args: AnyArguments<'static>,
    count: usize,
    /// The first value that failed to encode; `build` reports it.
    error: Option<sqlx::error::BoxDynError>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_string(),
            ..Sql::default()
        }
    }

    /// Append literal SQL.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Append a placeholder and bind `value` to it.
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: for<'q> Encode<'q, Any> + Type<Any> + Send + 'static,
    {
        self.count += 1;
        self.text.push('$');
        self.text.push_str(&self.count.to_string());
        if let Err(e) = self.args.add(value) {
            self.error.get_or_insert(e);
        }
        self
    }

    /// The finished statement, or the first encoding error (rather than
    /// letting a missing value surface as a confusing bind-count error).
    pub fn build(self) -> sqlx::Result<(String, AnyArguments<'static>)> {
        match self.error {
            Some(e) => Err(sqlx::Error::Encode(e)),
            None => Ok((self.text, self.args)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind(1_i64).push(" AND b = ").bind("x".to_string());
        let (text, _) = sql.build().expect("plain values encode");
        assert_eq!(text, "SELECT 1 WHERE a = $1 AND b = $2");
    }
}
