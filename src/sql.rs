//! STUB: replaced by the real splitter.
use crate::dialect::Dialect;
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sql: String,
    pub line: usize,
    pub index: usize,
}
pub fn split(script: &str, _dialect: Dialect) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut line = 1;
    for piece in script.split(';') {
        let lead = piece.len() - piece.trim_start().len();
        let l = line + piece[..lead].matches('\n').count();
        line += piece.matches('\n').count();
        if !piece.trim().is_empty() {
            out.push(Statement {
                sql: piece.trim().to_string(),
                line: l,
                index: out.len() + 1,
            });
        }
    }
    out
}
