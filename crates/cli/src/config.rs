//! Loads [`Settings`]: built-in defaults, then the TOML file, then
//! `ZHIBO_SECTION__KEY` environment variables (`ZHIBO_SERVER__PORT=9000`
//! sets `server.port`). Any wrong key or value stops the program with a
//! message naming it.

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use std::path::Path;
use zhibo_web::Settings;

pub const ENV_PREFIX: &str = "ZHIBO_";

pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    if let Some(file) = file {
        if !file.is_file() {
            bail!("配置文件不存在 / config file not found: {}", file.display());
        }
        figment = figment.merge(Toml::file_exact(file));
    }
    figment = figment.merge(Env::prefixed(ENV_PREFIX).split("__"));
    let settings: Settings = figment.extract().map_err(describe).context("配置无效 / invalid configuration")?;
    settings.validate()?;
    Ok(settings)
}

/// figment's errors already name the key and where it came from; this puts
/// each on its own line and drops figment's internal profile name.
fn describe(errors: figment::Error) -> anyhow::Error {
    let lines: Vec<String> = errors.into_iter().map(|e| e.to_string().replace("\"default.", "\"")).collect();
    anyhow::anyhow!(lines.join("\n"))
}

#[cfg(test)]
// figment's Jail returns its own large error type; that is its API, not ours.
#[expect(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn the_file_then_the_environment_override_the_defaults() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "zhibo.toml",
                "[server]\nport = 9000\nhost = \"0.0.0.0\"\n[data]\ndir = \"/srv/zhibo\"\n",
            )?;
            jail.set_env("ZHIBO_SERVER__PORT", "9100");
            let s = load(Some(Path::new("zhibo.toml"))).unwrap();
            assert_eq!(s.server.port, 9100);
            assert_eq!(s.server.host.to_string(), "0.0.0.0");
            assert_eq!(s.data.dir, Path::new("/srv/zhibo"));
            assert_eq!(s.auth, Settings::default().auth);
            Ok(())
        });
    }

    #[test]
    fn a_wrong_value_names_its_key() {
        Jail::expect_with(|jail| {
            jail.create_file("zhibo.toml", "[server]\nport = \"eighty\"\n")?;
            let e = format!("{:#}", load(Some(Path::new("zhibo.toml"))).unwrap_err());
            assert!(e.contains("server.port"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn an_unknown_key_is_refused_by_name() {
        Jail::expect_with(|jail| {
            jail.create_file("zhibo.toml", "[server]\nprot = 80\n")?;
            let e = format!("{:#}", load(Some(Path::new("zhibo.toml"))).unwrap_err());
            assert!(e.contains("prot"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn a_bad_environment_variable_names_its_key() {
        Jail::expect_with(|jail| {
            jail.set_env("ZHIBO_AUTH__SESSION_HOURS", "0");
            let e = format!("{:#}", load(None).unwrap_err());
            assert!(e.contains("auth.session_hours"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn a_missing_file_is_an_error() {
        Jail::expect_with(|_| {
            assert!(load(Some(Path::new("nope.toml"))).is_err());
            Ok(())
        });
    }
}
