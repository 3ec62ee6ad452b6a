//! Writing metric families in the Prometheus text format (version 0.0.4).

use std::fmt::Write;

/// A text exposition being built.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
}

/// `counter` or `gauge`: the only kinds computed at scrape time.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Counter,
    Gauge,
}

impl Exposition {
    /// Start a family: its `# HELP` and `# TYPE` lines. Samples of the family
    /// must follow before the next one starts.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) -> &mut Self {
        let kind = match kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        };
        // Writing to a String cannot fail.
        let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
        self
    }

    /// One sample line: `name{k="v",...} value`.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) -> &mut Self {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (key, val)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{key}=\"{}\"", escape_label(val));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
        self
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// Label values escape backslash, double quote and line feed.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// Help text escapes backslash and line feed.
fn escape_help(help: &str) -> String {
    help.replace('\\', r"\\").replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_escaped_samples() {
        let mut e = Exposition::default();
        e.family("x_total", Kind::Counter, "Things\ncounted")
            .sample("x_total", &[("a", "q\"b\\c\nd"), ("z", "1")], 3.0)
            .sample("x_total", &[], 0.5);
        assert_eq!(
            e.finish(),
            "# HELP x_total Things\\ncounted\n# TYPE x_total counter\n\
             x_total{a=\"q\\\"b\\\\c\\nd\",z=\"1\"} 3\nx_total 0.5\n"
        );
    }
}
