//! Account input, parsed: a [`Username`] and a [`NewPassword`] are valid once
//! you hold them.

use crate::DomainError;

/// A sign-in name: 3–32 characters of lower-case letters, digits, `_`, `-`
/// or `.`; stored and compared in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(text: &str) -> Result<Username, DomainError> {
        let t = text.trim().to_lowercase();
        if !(3..=32).contains(&t.chars().count()) {
            return Err(DomainError::new("username", "用户名需3到32个字符 / username must be 3 to 32 characters"));
        }
        if !t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.')) {
            return Err(DomainError::new(
                "username",
                "用户名只能包含字母、数字和 _ - . / username may hold letters, digits, _ - . only",
            ));
        }
        Ok(Username(t))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password someone wants to set. Never printed by `Debug`.
#[derive(Clone)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(text: &str) -> Result<NewPassword, DomainError> {
        let n = text.chars().count();
        if n < Self::MIN_CHARS {
            return Err(DomainError::new("new_password", "密码至少8个字符 / password must have at least 8 characters"));
        }
        if n > Self::MAX_CHARS {
            return Err(DomainError::new(
                "new_password",
                "密码最多128个字符 / password must have at most 128 characters",
            ));
        }
        Ok(NewPassword(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A name shown to people, 1–40 characters, any script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(text: &str) -> Result<DisplayName, DomainError> {
        let t = text.trim();
        if t.is_empty() || t.chars().count() > 40 || t.chars().any(char::is_control) {
            return Err(DomainError::new(
                "display_name",
                "显示名需1到40个字符 / display name must be 1 to 40 characters",
            ));
        }
        Ok(DisplayName(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_cased_and_checked() {
        assert_eq!(Username::parse(" Owner ").unwrap().as_str(), "owner");
        assert_eq!(Username::parse("ab").unwrap_err().field, "username");
        assert!(Username::parse("名字很长").is_err());
    }

    #[test]
    fn passwords_have_a_length_policy_and_hide_in_debug() {
        assert!(NewPassword::parse("short").is_err());
        let p = NewPassword::parse("long enough").unwrap();
        assert_eq!(format!("{p:?}"), "NewPassword(***)");
    }
}
