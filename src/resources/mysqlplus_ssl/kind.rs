//! The resource's type. It lives apart from its entry points (`resource`) because every
//! handler module names it in its request and response types, and the entry points call them.

use super::claims::Claims;

#[derive(Default)]
pub(crate) struct MysqlPlusSsl {
    pub(super) claims: Claims,
}
