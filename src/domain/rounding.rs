//! Python's `round(x, n)`: rounds the exact binary value, ties to even.

/// `round(x, digits)` as Python computes it. Formatting with a precision
/// rounds the exact binary expansion, which is what CPython does.
pub fn py_round(x: f64, digits: usize) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.digits$}").parse().unwrap_or(x)
}

/// Mean of a sum over a count, 0.0 for no rows (the API's convention).
pub fn mean(sum: f64, count: i64) -> f64 {
    if count == 0 {
        0.0
    } else {
        sum / count as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_round() {
        assert_eq!(py_round(91.625, 2), 91.62);
        assert_eq!(py_round(0.125, 2), 0.12);
        assert_eq!(py_round(0.375, 2), 0.38);
        assert_eq!(py_round(2.675, 2), 2.67);
        assert_eq!(py_round(1.0 / 3.0, 4), 0.3333);
        assert_eq!(py_round(0.5, 1), 0.5);
        assert_eq!(py_round(0.25, 1), 0.2);
    }

    #[test]
    fn mean_of_nothing_is_zero() {
        assert_eq!(mean(0.0, 0), 0.0);
        assert_eq!(mean(733.0, 8), 91.625);
    }
}
