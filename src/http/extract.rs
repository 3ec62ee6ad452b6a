//! Request parsing with the original's validation semantics (pydantic lax
//! mode): every problem becomes a [`FieldError`] with the right `loc`, and all
//! problems of one request are reported together.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use chrono::NaiveDateTime;
use serde_json::{json, Map, Value};

use crate::domain::timestamp::parse_query_datetime;
use crate::error::{ApiError, FieldError};

// ---------------------------------------------------------------- JSON body

/// Largest accepted request body: a full bulk request (100 items of 10,000
/// characters, up to 4 bytes each) plus JSON overhead.
pub const BODY_LIMIT_BYTES: usize = 8 * 1024 * 1024;

/// The request body parsed as JSON. A body without `Content-Type` is JSON
/// too (contract §1.1); another content type, an empty body or malformed
/// JSON is a 422 at `["body", …]`.
#[derive(Debug, Clone)]
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = match req.headers().get(CONTENT_TYPE) {
            None => true,
            Some(value) => is_json_content_type(value.to_str().unwrap_or_default()),
        };
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(format!(
                    "Request body too large (limit {} MiB)",
                    BODY_LIMIT_BYTES / (1024 * 1024)
                ))
            } else {
                ApiError::BadRequest("Could not read the request body".to_string())
            }
        })?;
        if bytes.is_empty() {
            return Err(ApiError::validation(vec![FieldError::new(
                "missing",
                vec![json!("body")],
                "Field required",
                Value::Null,
            )]));
        }
        if !is_json {
            let input = String::from_utf8_lossy(&bytes).into_owned();
            return Err(ApiError::validation(vec![not_an_object(
                vec![json!("body")],
                json!(input),
            )]));
        }
        let value = serde_json::from_slice::<Value>(&bytes)
            .map_err(|err| ApiError::validation(vec![json_invalid(&bytes, &err)]))?;
        let mut errors = Vec::new();
        find_nul(&value, &mut vec![json!("body")], &mut errors);
        if errors.is_empty() {
            Ok(JsonBody(value))
        } else {
            Err(ApiError::validation(errors))
        }
    }
}

// ---------------------------------------------------------------- NUL

/// One rule for text that cannot be stored: a NUL character (U+0000) is
/// refused with a 422 wherever it appears — any string or key of a JSON
/// body, any query parameter, a text path segment — before anything is
/// stored. PostgreSQL cannot store NUL in `text` (it answered 500, and a
/// stored `\u0000` inside a tag list broke every later `?tag=` filter);
/// SQLite can, so refusing everywhere keeps both backends alike. Refused
/// rather than stripped: silently changing a learner's text would change
/// what is scored and what is spoken.
fn nul_error(loc: Vec<Value>, input: &str) -> FieldError {
    FieldError::new(
        "string_nul",
        loc,
        "Text must not contain NUL (U+0000) characters",
        json!(input),
    )
}

fn find_nul(value: &Value, loc: &mut Vec<Value>, errors: &mut Vec<FieldError>) {
    match value {
        Value::String(s) if s.contains('\0') => errors.push(nul_error(loc.clone(), s)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                loc.push(json!(i));
                find_nul(item, loc, errors);
                loc.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                loc.push(json!(key));
                if key.contains('\0') {
                    errors.push(nul_error(loc.clone(), key));
                } else {
                    find_nul(item, loc, errors);
                }
                loc.pop();
            }
        }
        _ => {}
    }
}

/// A text path segment (e.g. a task id), refused with a 422 at
/// `["path", name]` when it holds a NUL (see [`find_nul`]'s rule).
pub fn path_text(raw: String, name: &str) -> Result<String, ApiError> {
    if raw.contains('\0') {
        return Err(ApiError::validation(vec![nul_error(
            vec![json!("path"), json!(name)],
            &raw,
        )]));
    }
    Ok(raw)
}

fn is_json_content_type(value: &str) -> bool {
    let mime = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Python's `json` reports a character offset; serde_json a line/column.
fn json_invalid(bytes: &[u8], err: &serde_json::Error) -> FieldError {
    let text = String::from_utf8_lossy(bytes);
    if err.classify() == serde_json::error::Category::Eof {
        // Python reports the end of the input for a truncated document.
        let offset = text.chars().count();
        return json_invalid_at(offset, err);
    }
    let mut offset = 0usize;
    for (i, line) in text.split('\n').enumerate() {
        if i + 1 == err.line() {
            offset += line
                .char_indices()
                .take_while(|(b, _)| *b < err.column().saturating_sub(1))
                .count();
            break;
        }
        offset += line.chars().count() + 1;
    }
    json_invalid_at(offset, err)
}

fn json_invalid_at(offset: usize, err: &serde_json::Error) -> FieldError {
    FieldError::new(
        "json_invalid",
        vec![json!("body"), json!(offset)],
        "JSON decode error",
        json!({}),
    )
    .with_ctx(json!({ "error": err.to_string() }))
}

fn not_an_object(loc: Vec<Value>, input: Value) -> FieldError {
    FieldError::new(
        "model_attributes_type",
        loc,
        "Input should be a valid dictionary or object to extract fields from",
        input,
    )
}

/// Typed access to the fields of a JSON object, collecting errors.
#[derive(Debug)]
pub struct Fields<'v, 'e> {
    object: &'v Map<String, Value>,
    prefix: Vec<Value>,
    errors: &'e mut Vec<FieldError>,
}

/// Start reading the object at `prefix` (e.g. `["body"]`); a non-object
/// records an error and yields `None`.
pub fn object_fields<'v, 'e>(
    value: &'v Value,
    prefix: Vec<Value>,
    errors: &'e mut Vec<FieldError>,
) -> Option<Fields<'v, 'e>> {
    match value {
        Value::Object(object) => Some(Fields {
            object,
            prefix,
            errors,
        }),
        other => {
            errors.push(not_an_object(prefix, other.clone()));
            None
        }
    }
}

impl<'v, 'e> Fields<'v, 'e> {
    fn loc(&self, name: &str) -> Vec<Value> {
        let mut loc = self.prefix.clone();
        loc.push(json!(name));
        loc
    }

    /// The raw value of a field, if present.
    pub fn get(&self, name: &str) -> Option<&'v Value> {
        self.object.get(name)
    }

    fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// The raw value; `None` when absent. A required field records `missing`.
    fn raw(&mut self, name: &str, required: bool) -> Option<&'v Value> {
        let value = self.object.get(name);
        if value.is_none() && required {
            let err = FieldError::new(
                "missing",
                self.loc(name),
                "Field required",
                Value::Object(self.object.clone()),
            );
            self.push(err);
        }
        value
    }

    /// A string of `min..=max` characters. `null` is allowed only when not required.
    pub fn string(&mut self, name: &str, required: bool, min: usize, max: usize) -> Option<String> {
        let value = self.raw(name, required)?;
        if value.is_null() && !required {
            return None;
        }
        let Some(text) = value.as_str() else {
            let err = string_type(self.loc(name), value);
            self.push(err);
            return None;
        };
        if let Some(err) = length_error(text, min, max, self.loc(name), value) {
            self.push(err);
            return None;
        }
        Some(text.to_string())
    }

    /// A boolean, lax as pydantic's: JSON booleans, 0/1, and the strings
    /// `true/false/1/0/yes/no/on/off/t/f/y/n` (any case). `None` when absent
    /// or null (and allowed) or invalid.
    pub fn bool(&mut self, name: &str, required: bool) -> Option<bool> {
        let value = self.raw(name, required)?;
        if value.is_null() && !required {
            return None;
        }
        let parsed = match value {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_f64() {
                Some(0.0) => Some(false),
                Some(1.0) => Some(true),
                _ => None,
            },
            Value::String(text) => lax_bool(text),
            _ => None,
        };
        if parsed.is_none() {
            let err = FieldError::new(
                if value.is_string() || value.is_number() {
                    "bool_parsing"
                } else {
                    "bool_type"
                },
                self.loc(name),
                if value.is_string() || value.is_number() {
                    "Input should be a valid boolean, unable to interpret input"
                } else {
                    "Input should be a valid boolean"
                },
                value.clone(),
            );
            self.push(err);
        }
        parsed
    }

    /// An integer in `min..=max` (lax: integral floats, numeric strings and
    /// booleans are accepted as pydantic does). `Ok(None)` = absent or null
    /// and allowed.
    pub fn int(&mut self, name: &str, required: bool, min: i64, max: i64) -> Option<i64> {
        let value = self.raw(name, required)?;
        if value.is_null() && !required {
            return None;
        }
        let loc = self.loc(name);
        match lax_int(value) {
            Ok(n) => match range_error(n, min, max, loc, value) {
                None => Some(n),
                Some(err) => {
                    self.push(err);
                    None
                }
            },
            Err(kind) => {
                self.push(int_error(kind, loc, value.clone()));
                None
            }
        }
    }

    /// A list of strings. `None` when absent/null (and allowed) or invalid.
    pub fn string_list(&mut self, name: &str, required: bool) -> Option<Vec<String>> {
        let value = self.raw(name, required)?;
        if value.is_null() && !required {
            return None;
        }
        let items = self.as_list(name, value)?;
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(s) => out.push(s.to_string()),
                None => {
                    ok = false;
                    let mut loc = self.loc(name);
                    loc.push(json!(i));
                    self.push(string_type(loc, item));
                }
            }
        }
        ok.then_some(out)
    }

    /// The value as an array, or a `list_type` error.
    fn as_list(&mut self, name: &str, value: &'v Value) -> Option<&'v Vec<Value>> {
        let items = value.as_array();
        if items.is_none() {
            let err = FieldError::new(
                "list_type",
                self.loc(name),
                "Input should be a valid list",
                value.clone(),
            );
            self.push(err);
        }
        items
    }

    /// A list of values with a length bound (elements are checked by the caller).
    pub fn list(&mut self, name: &str, min: usize, max: usize) -> Option<&'v Vec<Value>> {
        let value = self.raw(name, true)?;
        let items = self.as_list(name, value)?;
        let n = items.len();
        if n < min || n > max {
            let (kind, word, bound) = if n < min {
                ("too_short", "least", min)
            } else {
                ("too_long", "most", max)
            };
            let err = FieldError::new(
                kind,
                self.loc(name),
                format!(
                    "List should have at {word} {bound} {} after validation, not {n}",
                    plural(bound, "item")
                ),
                value.clone(),
            )
            .with_ctx(json!({ "field_type": "List", format!("{}_length", if n < min { "min" } else { "max" }): bound, "actual_length": n }));
            self.push(err);
            return None;
        }
        Some(items)
    }

    /// A custom rule failed (`msg` = `Value error, <reason>`).
    pub fn value_error(&mut self, name: &str, reason: &str) {
        let input = self.object.get(name).cloned().unwrap_or(Value::Null);
        let err = FieldError::new(
            "value_error",
            self.loc(name),
            format!("Value error, {reason}"),
            input,
        )
        .with_ctx(json!({ "error": reason }));
        self.push(err);
    }
}

/// pydantic's lax boolean strings.
fn lax_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "on" | "t" => Some(true),
        "false" | "0" | "no" | "n" | "off" | "f" => Some(false),
        _ => None,
    }
}

/// `string_too_short` / `string_too_long` when `text` has fewer than `min`
/// or more than `max` characters.
fn length_error(
    text: &str,
    min: usize,
    max: usize,
    loc: Vec<Value>,
    input: &Value,
) -> Option<FieldError> {
    let len = text.chars().count();
    if len < min {
        return Some(
            FieldError::new(
                "string_too_short",
                loc,
                format!(
                    "String should have at least {min} {}",
                    plural(min, "character")
                ),
                input.clone(),
            )
            .with_ctx(json!({ "min_length": min })),
        );
    }
    if len > max {
        return Some(
            FieldError::new(
                "string_too_long",
                loc,
                format!(
                    "String should have at most {max} {}",
                    plural(max, "character")
                ),
                input.clone(),
            )
            .with_ctx(json!({ "max_length": max })),
        );
    }
    None
}

fn string_type(loc: Vec<Value>, input: &Value) -> FieldError {
    FieldError::new(
        "string_type",
        loc,
        "Input should be a valid string",
        input.clone(),
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IntErrorKind {
    Type,
    Parsing,
    FromFloat,
    /// Syntactically an integer but beyond i64.
    TooLarge,
}

fn int_error(kind: IntErrorKind, loc: Vec<Value>, input: Value) -> FieldError {
    match kind {
        IntErrorKind::Type => {
            FieldError::new("int_type", loc, "Input should be a valid integer", input)
        }
        IntErrorKind::Parsing => FieldError::new(
            "int_parsing",
            loc,
            "Input should be a valid integer, unable to parse string as an integer",
            input,
        ),
        IntErrorKind::FromFloat => FieldError::new(
            "int_from_float",
            loc,
            "Input should be a valid integer, got a number with a fractional part",
            input,
        ),
        IntErrorKind::TooLarge => FieldError::new(
            "int_parsing_size",
            loc,
            "Unable to parse input string as an integer, exceeded maximum size",
            input,
        ),
    }
}

fn range_error(n: i64, min: i64, max: i64, loc: Vec<Value>, input: &Value) -> Option<FieldError> {
    if n < min {
        Some(
            FieldError::new(
                "greater_than_equal",
                loc,
                format!("Input should be greater than or equal to {min}"),
                input.clone(),
            )
            .with_ctx(json!({ "ge": min })),
        )
    } else if n > max {
        Some(
            FieldError::new(
                "less_than_equal",
                loc,
                format!("Input should be less than or equal to {max}"),
                input.clone(),
            )
            .with_ctx(json!({ "le": max })),
        )
    } else {
        None
    }
}

fn lax_int(value: &Value) -> Result<i64, IntErrorKind> {
    match value {
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if n.is_u64() {
                Err(IntErrorKind::TooLarge)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.fract() != 0.0 || !f.is_finite() {
                    Err(IntErrorKind::FromFloat)
                } else if f.abs() >= 9.2e18 {
                    Err(IntErrorKind::TooLarge)
                } else {
                    Ok(f as i64)
                }
            }
        }
        Value::String(s) => parse_int_str(s),
        _ => Err(IntErrorKind::Type),
    }
}

/// Integer spellings the original accepts in strings: surrounding spaces,
/// sign, leading zeros, and a zero fraction (`"1.0"`).
fn parse_int_str(raw: &str) -> Result<i64, IntErrorKind> {
    let s = raw.trim();
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => (-1i128, rest),
        None => (1i128, s.strip_prefix('+').unwrap_or(s)),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let valid_whole = !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit());
    if !valid_whole {
        return Err(IntErrorKind::Parsing);
    }
    if let Some(f) = fraction {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IntErrorKind::Parsing);
        }
        if f.bytes().any(|b| b != b'0') {
            return Err(IntErrorKind::FromFloat);
        }
    }
    let trimmed = whole.trim_start_matches('0');
    if trimmed.len() > 19 {
        return Err(IntErrorKind::TooLarge);
    }
    let magnitude: i128 = if trimmed.is_empty() {
        0
    } else {
        trimmed.parse().map_err(|_| IntErrorKind::Parsing)?
    };
    i64::try_from(sign * magnitude).map_err(|_| IntErrorKind::TooLarge)
}

// ---------------------------------------------------------------- path ids

/// Parse a path id. Not an integer → 422 at `["path", name]`; an integer
/// beyond i64 cannot name a row → the endpoint's 404 (contract §9.15).
pub fn path_id(raw: &str, name: &str, not_found: &str) -> Result<i64, ApiError> {
    match parse_int_str(raw) {
        Ok(id) => Ok(id),
        Err(IntErrorKind::TooLarge) => Err(ApiError::NotFound(not_found.to_string())),
        Err(kind) => Err(ApiError::validation(vec![int_error(
            kind,
            vec![json!("path"), json!(name)],
            json!(raw),
        )])),
    }
}

// ---------------------------------------------------------------- query

/// The raw query string as ordered pairs. Rejects only a NUL character in
/// a name or value (422 at `["query", name]`, see [`find_nul`]'s rule).
#[derive(Debug, Clone, Default)]
pub struct RawQuery(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for RawQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let pairs: Vec<(String, String)> = parts
            .uri
            .query()
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let errors: Vec<FieldError> = pairs
            .iter()
            .filter(|(k, v)| k.contains('\0') || v.contains('\0'))
            .map(|(k, v)| nul_error(vec![json!("query"), json!(k)], v))
            .collect();
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(RawQuery(pairs))
    }
}

/// Typed access to query parameters, collecting errors.
#[derive(Debug)]
pub struct QueryFields<'a> {
    pairs: &'a [(String, String)],
    errors: Vec<FieldError>,
}

impl<'a> QueryFields<'a> {
    pub fn new(query: &'a RawQuery) -> Self {
        QueryFields {
            pairs: &query.0,
            errors: Vec::new(),
        }
    }

    fn loc(name: &str) -> Vec<Value> {
        vec![json!("query"), json!(name)]
    }

    /// The last value given for `name` (Starlette semantics).
    pub fn string(&self, name: &str) -> Option<&'a str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value given for a repeatable parameter, in order.
    pub fn strings(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// An optional integer with bounds.
    pub fn int(&mut self, name: &str, min: i64, max: i64) -> Option<i64> {
        let raw = self.string(name)?;
        let input = json!(raw);
        match parse_int_str(raw) {
            Ok(n) => match range_error(n, min, max, Self::loc(name), &input) {
                None => Some(n),
                Some(err) => {
                    self.errors.push(err);
                    None
                }
            },
            Err(kind) => {
                self.errors.push(int_error(kind, Self::loc(name), input));
                None
            }
        }
    }

    /// An integer with a default when absent.
    pub fn int_or(&mut self, name: &str, default: i64, min: i64, max: i64) -> i64 {
        if self.string(name).is_none() {
            return default;
        }
        self.int(name, min, max).unwrap_or(default)
    }

    /// An optional boolean (`true/false/1/0/yes/no/on/off/t/f/y/n`).
    pub fn bool(&mut self, name: &str) -> Option<bool> {
        let raw = self.string(name)?;
        let parsed = lax_bool(raw);
        if parsed.is_none() {
            self.errors.push(FieldError::new(
                "bool_parsing",
                Self::loc(name),
                "Input should be a valid boolean, unable to interpret input",
                json!(raw),
            ));
        }
        parsed
    }

    /// A required string of `min..=max` characters (`missing` when absent).
    pub fn required_string(&mut self, name: &str, min: usize, max: usize) -> Option<&'a str> {
        let Some(raw) = self.string(name) else {
            self.errors.push(FieldError::new(
                "missing",
                Self::loc(name),
                "Field required",
                Value::Null,
            ));
            return None;
        };
        match length_error(raw, min, max, Self::loc(name), &json!(raw)) {
            None => Some(raw),
            Some(err) => {
                self.errors.push(err);
                None
            }
        }
    }

    /// An optional value from a fixed set (`enum` error otherwise).
    pub fn one_of(&mut self, name: &str, allowed: &[&str]) -> Option<String> {
        let raw = self.string(name)?;
        if allowed.contains(&raw) {
            return Some(raw.to_string());
        }
        let expected = expected_list(allowed);
        self.errors.push(
            FieldError::new(
                "enum",
                Self::loc(name),
                format!("Input should be {expected}"),
                json!(raw),
            )
            .with_ctx(json!({ "expected": expected })),
        );
        None
    }

    /// An optional datetime (offsets dropped, see `parse_query_datetime`).
    pub fn datetime(&mut self, name: &str) -> Option<NaiveDateTime> {
        let raw = self.string(name)?;
        match parse_query_datetime(raw) {
            Ok(ts) => Some(ts),
            Err(_) => {
                self.errors.push(FieldError::new(
                    "datetime_from_date_parsing",
                    Self::loc(name),
                    "Input should be a valid datetime or date",
                    json!(raw),
                ));
                None
            }
        }
    }

    /// All recorded problems as one 422, or `Ok`.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

/// pydantic's wording of a choice: `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`.
fn expected_list(allowed: &[&str]) -> String {
    let quoted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Page-based pagination (contract §1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: i64,
    pub per_page: i64,
}

impl Page {
    pub fn read(q: &mut QueryFields<'_>) -> Page {
        Page {
            page: q.int_or("page", 1, 1, i64::MAX),
            per_page: q.int_or("per_page", 20, 1, 100),
        }
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    pub fn total_pages(&self, total: i64) -> i64 {
        (total + self.per_page - 1) / self.per_page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_worded_like_pydantic() {
        assert_eq!(
            expected_list(&["core", "runtime", "full"]),
            "'core', 'runtime' or 'full'"
        );
        assert_eq!(expected_list(&["a", "b"]), "'a' or 'b'");
        assert_eq!(expected_list(&["a"]), "'a'");
    }

    #[test]
    fn int_strings() {
        assert_eq!(parse_int_str(" 007 "), Ok(7));
        assert_eq!(parse_int_str("-3"), Ok(-3));
        assert_eq!(parse_int_str("+3"), Ok(3));
        assert_eq!(parse_int_str("1.0"), Ok(1));
        assert_eq!(parse_int_str("1.5"), Err(IntErrorKind::FromFloat));
        assert_eq!(parse_int_str("1e2"), Err(IntErrorKind::Parsing));
        assert_eq!(parse_int_str("0x10"), Err(IntErrorKind::Parsing));
        assert_eq!(parse_int_str(""), Err(IntErrorKind::Parsing));
        assert_eq!(
            parse_int_str("99999999999999999999999"),
            Err(IntErrorKind::TooLarge)
        );
        assert_eq!(parse_int_str("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(
            parse_int_str("9223372036854775808"),
            Err(IntErrorKind::TooLarge)
        );
    }

    #[test]
    fn lax_ints_from_json() {
        assert_eq!(lax_int(&json!(3)), Ok(3));
        assert_eq!(lax_int(&json!(3.0)), Ok(3));
        assert_eq!(lax_int(&json!("3")), Ok(3));
        assert_eq!(lax_int(&json!(true)), Ok(1));
        assert_eq!(lax_int(&json!(2.5)), Err(IntErrorKind::FromFloat));
        assert_eq!(lax_int(&json!([1])), Err(IntErrorKind::Type));
        assert_eq!(lax_int(&json!(u64::MAX)), Err(IntErrorKind::TooLarge));
    }

    #[test]
    fn content_types() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("application/json; charset=utf-8"));
        assert!(is_json_content_type("application/merge-patch+json"));
        assert!(!is_json_content_type("application/x-www-form-urlencoded"));
        assert!(!is_json_content_type("text/plain"));
    }

    #[test]
    fn pages() {
        let p = Page {
            page: 3,
            per_page: 20,
        };
        assert_eq!(p.offset(), 40);
        assert_eq!(p.total_pages(0), 0);
        assert_eq!(p.total_pages(41), 3);
    }
}
