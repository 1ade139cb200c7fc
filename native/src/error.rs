use std::fmt;

/// Why a problem or configuration was rejected. Bad input never panics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GaError {
    /// The problem is inconsistent: the message names the field.
    InvalidProblem(String),
    /// The configuration is out of range: the message names the field.
    InvalidConfig(String),
}

impl GaError {
    /// Stable code that TypeScript maps to `HmsError` (both are INVALID_INPUT there).
    pub fn code(&self) -> &'static str {
        match self {
            GaError::InvalidProblem(_) | GaError::InvalidConfig(_) => "INVALID_INPUT",
        }
    }
}

impl fmt::Display for GaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GaError::InvalidProblem(m) => write!(f, "invalid problem: {m}"),
            GaError::InvalidConfig(m) => write!(f, "invalid config: {m}"),
        }
    }
}

impl std::error::Error for GaError {}
