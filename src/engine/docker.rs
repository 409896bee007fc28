//! `docker://postgres/16`, `docker://mysql/8`, `docker://mariadb/11`, `docker://cockroach`: a
//! throwaway server in a container, through testcontainers. Without a Docker engine this fails
//! at once with one line, never a hang.

use std::time::Duration;

use testcontainers::core::IntoContainerPort;
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, ImageExt};
use testcontainers_modules::{
    cockroach_db::CockroachDb, mariadb::Mariadb, mysql::Mysql, postgres::Postgres,
};

use crate::dialect::Dialect;
use crate::error::Error;

/// How long pulling an image and starting the server may take.
const START_TIMEOUT: Duration = Duration::from_secs(300);
/// How long the Docker engine has to answer at all.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Image {
    Postgres,
    Mysql,
    Mariadb,
    Cockroach,
}

/// A `docker://<image>[/<tag>]` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerSpec {
    pub image: Image,
    pub tag: String,
}

impl DockerSpec {
    pub fn parse(rest: &str) -> Option<DockerSpec> {
        let (name, tag) = match rest.split_once(['/', ':']) {
            Some((name, tag)) if !tag.is_empty() => (name, Some(tag)),
            _ => (rest.trim_end_matches('/'), None),
        };
        let (image, default_tag) = match name {
            "postgres" | "postgresql" => (Image::Postgres, "16-alpine"),
            "mysql" => (Image::Mysql, "8.4"),
            "mariadb" => (Image::Mariadb, "11"),
            "cockroach" | "cockroachdb" => (Image::Cockroach, "v24.2.4"),
            _ => return None,
        };
        Some(DockerSpec {
            image,
            tag: tag.unwrap_or(default_tag).to_string(),
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self.image {
            Image::Postgres => Dialect::Postgres,
            Image::Mysql | Image::Mariadb => Dialect::Mysql,
            Image::Cockroach => Dialect::Cockroach,
        }
    }
}

impl std::fmt::Display for DockerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.image {
            Image::Postgres => "postgres",
            Image::Mysql => "mysql",
            Image::Mariadb => "mariadb",
            Image::Cockroach => "cockroach",
        };
        write!(f, "docker://{name}/{}", self.tag)
    }
}

/// A running container; removed by [`Container::remove`] (and by testcontainers on drop).
pub enum Container {
    Postgres(ContainerAsync<Postgres>),
    Mysql(ContainerAsync<Mysql>),
    Mariadb(ContainerAsync<Mariadb>),
    Cockroach(ContainerAsync<CockroachDb>),
}

impl Container {
    pub async fn remove(self) {
        let _ = match self {
            Container::Postgres(c) => c.rm().await,
            Container::Mysql(c) => c.rm().await,
            Container::Mariadb(c) => c.rm().await,
            Container::Cockroach(c) => c.rm().await,
        };
    }
}

/// Starts the container and returns it with the URL of its server.
pub async fn start(spec: &DockerSpec) -> Result<(Container, String), Error> {
    probe().await?;
    let started = tokio::time::timeout(START_TIMEOUT, start_container(spec)).await;
    match started {
        Ok(Ok(found)) => Ok(found),
        Ok(Err(e)) => Err(Error::Connect {
            action: "start",
            target: spec.to_string(),
            message: e.to_string(),
        }),
        Err(_) => Err(Error::Connect {
            action: "start",
            target: spec.to_string(),
            message: format!("not ready within {} s", START_TIMEOUT.as_secs()),
        }),
    }
}

async fn start_container(
    spec: &DockerSpec,
) -> Result<(Container, String), testcontainers::TestcontainersError> {
    let tag = spec.tag.clone();
    Ok(match spec.image {
        Image::Postgres => {
            let c = Postgres::default().with_tag(tag).start().await?;
            let url = format!(
                "postgres://postgres:postgres@{}:{}/postgres",
                c.get_host().await?,
                c.get_host_port_ipv4(5432.tcp()).await?
            );
            (Container::Postgres(c), url)
        }
        Image::Mysql => {
            let c = Mysql::default().with_tag(tag).start().await?;
            let url = format!(
                "mysql://root@{}:{}",
                c.get_host().await?,
                c.get_host_port_ipv4(3306.tcp()).await?
            );
            (Container::Mysql(c), url)
        }
        Image::Mariadb => {
            let c = Mariadb::default().with_tag(tag).start().await?;
            let url = format!(
                "mysql://root@{}:{}",
                c.get_host().await?,
                c.get_host_port_ipv4(3306.tcp()).await?
            );
            (Container::Mariadb(c), url)
        }
        Image::Cockroach => {
            let c = CockroachDb::default().with_tag(tag).start().await?;
            let url = format!(
                "postgres://root@{}:{}/defaultdb",
                c.get_host().await?,
                c.get_host_port_ipv4(26257.tcp()).await?
            );
            (Container::Cockroach(c), url)
        }
    })
}

/// Where testcontainers will look for the engine: `DOCKER_HOST`, else the usual sockets.
fn docker_host() -> String {
    if let Ok(host) = std::env::var("DOCKER_HOST")
        && !host.is_empty()
    {
        return host;
    }
    let mut candidates = vec!["/var/run/docker.sock".to_string()];
    for base in [
        std::env::var("XDG_RUNTIME_DIR").ok(),
        std::env::var("HOME").ok(),
    ]
    .into_iter()
    .flatten()
    {
        candidates.push(format!("{base}/.docker/run/docker.sock"));
    }
    if let Ok(home) = std::env::var("HOME") {
        candidates.push(format!("{home}/.docker/desktop/docker.sock"));
    }
    let found = candidates
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or(&candidates[0]);
    format!("unix://{found}")
}

/// Fails within [`PROBE_TIMEOUT`] when no Docker engine answers, instead of letting the
/// client retry.
async fn probe() -> Result<(), Error> {
    let host = docker_host();
    let attempt = async {
        if let Some(path) = host.strip_prefix("unix://") {
            tokio::net::UnixStream::connect(path).await.map(|_| ())
        } else if let Some(addr) = host.strip_prefix("tcp://") {
            tokio::net::TcpStream::connect(addr.trim_end_matches('/'))
                .await
                .map(|_| ())
        } else {
            Ok(())
        }
    };
    let reason = match tokio::time::timeout(PROBE_TIMEOUT, attempt).await {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {} s", PROBE_TIMEOUT.as_secs()),
    };
    Err(Error::NoDocker { host, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_image_and_tag() {
        let spec = DockerSpec::parse("postgres/16").unwrap();
        assert_eq!((spec.image, spec.tag.as_str()), (Image::Postgres, "16"));
        assert_eq!(DockerSpec::parse("mariadb:11").unwrap().tag, "11");
        assert_eq!(DockerSpec::parse("mysql").unwrap().tag, "8.4");
        assert_eq!(
            DockerSpec::parse("cockroach").unwrap().dialect(),
            Dialect::Cockroach
        );
        assert!(DockerSpec::parse("oracle/23").is_none());
    }
}
