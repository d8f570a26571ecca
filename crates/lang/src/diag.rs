//! Diagnostics: data first, rendered as `file:line:col: error: msg`, the
//! source line and a caret under the span (as bpftrace shows them).

use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: Level,
    pub span: Span,
    pub message: String,
    /// Extra lines printed after the source excerpt (`HINT: ...`).
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Error,
            span,
            message: message.into(),
            notes: Vec::new(),
        }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(span, message)
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Renders the diagnostic against `source` read from `file` (`stdin` for
    /// `-e` programs, as bpftrace names them).
    pub fn render(&self, file: &str, source: &str) -> String {
        let mut start = (self.span.start as usize).min(source.len());
        while !source.is_char_boundary(start) {
            start -= 1;
        }
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let line_no = source[..start].matches('\n').count() + 1;
        let col = source[line_start..start].chars().count() + 1;
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        let text = &source[line_start..line_end];
        let mut end = (self.span.end as usize).clamp(start, line_end);
        while !source.is_char_boundary(end) {
            end += 1;
        }
        let width = source[start..end].chars().count().max(1);
        let pad: String = source[line_start..start]
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let mut out = format!("{file}:{line_no}:{col}: {level}: {}\n", self.message);
        out.push_str(text);
        out.push('\n');
        out.push_str(&pad);
        out.push('^');
        out.push_str(&"~".repeat(width - 1));
        out.push('\n');
        for note in &self.notes {
            out.push_str(note);
            out.push('\n');
        }
        out
    }
}

/// Renders all diagnostics, in order.
pub fn render_all(diags: &[Diagnostic], file: &str, source: &str) -> String {
    diags.iter().map(|d| d.render(file, source)).collect()
}
