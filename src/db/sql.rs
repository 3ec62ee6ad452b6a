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
        // Encoding our plain values (integers, strings) cannot fail; a
        // failure would surface as a bind-count error from the database.
        let _ = self.args.add(value);
        self
    }

    /// The finished statement.
    pub fn build(self) -> (String, AnyArguments<'static>) {
        (self.text, self.args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind(1_i64).push(" AND b = ").bind("x".to_string());
        let (text, _) = sql.build();
        assert_eq!(text, "SELECT 1 WHERE a = $1 AND b = $2");
    }
}
