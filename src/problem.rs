//! Problems with the user's files: each names the file, the line where known, and what to do.

use std::fmt;

use camino::Utf8PathBuf;

/// One problem with an input file. Displays as `path:line: message` and, when there is one, a
/// `hint:` line below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: Utf8PathBuf,
    pub line: Option<usize>,
    pub message: String,
    pub hint: Option<String>,
}

impl Problem {
    pub fn new(path: impl Into<Utf8PathBuf>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            line: None,
            message: message.into(),
            hint: None,
        }
    }

    pub fn at_line(mut self, line: usize) -> Problem {
        self.line = Some(line);
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Problem {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every problem found in one look at the input, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "found {n} problem{} in the input files:",
            if n == 1 { "" } else { "s" }
        )?;
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}
