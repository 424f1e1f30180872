//! CEL programs for the `CEL` and `CEL_FIELD` executors: compiled once per rule of a schema
//! version, executed per record against a scope holding the message (and, for field rules,
//! the field's value, names, type and tags). Values cross between JSON and CEL here.
//!
//! The environment is CEL's standard library with its string extensions and Confluent's
//! format checks (`isEmail`, `isHostname`, `isIpv4`, `isIpv6`, `isUri`, `isUriRef`,
//! `isUuid`), as Confluent's `CelExecutor` declares them.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, OnceLock};

use cel::common::ast::{EntryExpr, Expr, IdedExpr};
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelUInt,
};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::extractors::This;
use cel::objects::{Key, Map};
use cel::{Context, Env, Program, Value as CelValue};
use serde_json::{Number, Value};

use super::native::{Node, Unsure, V, Vars};

/// A compiled rule expression: the guard before the first `;` (if any) and the expression.
#[derive(Debug)]
pub(crate) struct Compiled {
    guard: Option<Program>,
    expr: Program,
    /// The variables the guard and the expression read: only those are bound per record.
    variables: Vec<String>,
    /// How the programs read `message`: the record is converted to CEL for only the fields
    /// they select.
    message: Reads,
    /// The guard and the expression in the native subset, when both are in it
    /// ([`native`](super::native)): run first, the interpreter answering only what it
    /// leaves open.
    native: Option<(Option<Node>, Node)>,
}

/// A record's variables, bound by name for one execution (no scope map, no copy of the
/// names).
struct Bound<'v>(Vec<(&'static str, Box<dyn Val + 'v>)>);

impl VariableResolver for Bound<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        self.0
            .iter()
            .find(|(name, _)| *name == variable)
            .map(|(_, value)| CowVal::Borrowed(value.as_ref()))
    }
}

/// How a program reads a variable that holds a record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reads {
    /// Only through field selections (`message.amount`, `has(message.note)`): these
    /// top-level fields, in first-read order.
    Fields(Vec<String>),
    /// As a whole (`size(message)`, `message['a']`, passed to a function, or a
    /// comprehension variable of the same name): the whole record is converted.
    Whole,
}

/// Adds to `fields` the fields of `var` that `expr` selects; `false` when `expr` reads
/// `var` other than by a field selection.
fn selected_fields(expr: &IdedExpr, var: &str, fields: &mut Vec<String>) -> bool {
    let all = |exprs: &mut dyn Iterator<Item = &IdedExpr>, fields: &mut Vec<String>| {
        for e in exprs {
            if !selected_fields(e, var, fields) {
                return false;
            }
        }
        true
    };
    match &expr.expr {
        Expr::Select(select) => match &select.operand.expr {
            Expr::Ident(name) if name == var => {
                if !fields.contains(&select.field) {
                    fields.push(select.field.clone());
                }
                true
            }
            _ => selected_fields(&select.operand, var, fields),
        },
        Expr::Ident(name) => name != var,
        Expr::Call(call) => all(
            &mut call.target.iter().map(|t| &**t).chain(&call.args),
            fields,
        ),
        Expr::Comprehension(c) => {
            let shadows =
                c.iter_var == var || c.accu_var == var || c.iter_var2.as_deref() == Some(var);
            !shadows
                && all(
                    &mut [
                        &c.iter_range,
                        &c.accu_init,
                        &c.loop_cond,
                        &c.loop_step,
                        &c.result,
                    ]
                    .into_iter(),
                    fields,
                )
        }
        Expr::List(list) => all(&mut list.elements.iter(), fields),
        Expr::Map(map) => all(
            &mut map.entries.iter().flat_map(|e| match &e.expr {
                EntryExpr::MapEntry(m) => vec![&m.key, &m.value],
                EntryExpr::StructField(f) => vec![&f.value],
            }),
            fields,
        ),
        Expr::Struct(st) => all(
            &mut st.entries.iter().flat_map(|e| match &e.expr {
                EntryExpr::MapEntry(m) => vec![&m.key, &m.value],
                EntryExpr::StructField(f) => vec![&f.value],
            }),
            fields,
        ),
        Expr::Literal(_) | Expr::Unspecified => true,
    }
}

/// The shared environment: standard library, string extensions.
fn env() -> &'static Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        // Confluent's environment has the string extensions; a failure here would be a bug
        // in the CEL crate, and the standard library alone still works.
        let _ = env.add_extension(cel::extensions::strings);
        Arc::new(env)
    })
}

thread_local! {
    /// The root context with Confluent's functions, built once per thread (a context is not
    /// `Sync`); each record gets a child scope of it.
    static ROOT: Context<'static, 'static> = root_context();
}

/// A format check on a string (`isEmail`, ...).
pub(crate) type StringCheck = fn(&str) -> bool;

/// Confluent's format checks by name (its `CelExecutor` declares them with cel-java's
/// `BuiltinLibrary`); the interpreter's functions and the native subset call the same ones.
const CHECKS: [(&str, StringCheck); 7] = [
    ("isEmail", is_email),
    ("isHostname", is_hostname),
    ("isIpv4", |s| s.parse::<Ipv4Addr>().is_ok()),
    ("isIpv6", |s| s.parse::<Ipv6Addr>().is_ok()),
    ("isUri", |s| fluent_uri::Uri::parse(s).is_ok()),
    ("isUriRef", |s| fluent_uri::UriRef::parse(s).is_ok()),
    ("isUuid", |s| uuid::Uuid::parse_str(s).is_ok()),
];

fn root_context() -> Context<'static, 'static> {
    let mut ctx = Context::with_env(Arc::clone(env()));
    for (name, check) in CHECKS {
        // Names no standard overload has: adding them cannot conflict.
        let _ = ctx.add_function(name, move |This(s): This<Arc<String>>| check(&s));
    }
    ctx
}

/// An address `local@domain` as Confluent's `isEmail` (Apache Commons' `EmailValidator`)
/// accepts it, in short: a dot-atom local part and a hostname with a dot.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let atom = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    !local.is_empty()
        && local.len() <= 64
        && local
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(atom))
        && domain.contains('.')
        && is_hostname(domain)
}

/// A hostname of RFC 1123: labels of 1–63 letters, digits and inner hyphens, at most 253
/// characters, the last label not all digits.
fn is_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && !s
            .rsplit('.')
            .next()
            .is_some_and(|l| l.chars().all(|c| c.is_ascii_digit()))
}

impl Compiled {
    /// Compiles a rule's expression, split at its first `;` into guard and expression.
    ///
    /// Errors: the parser's message.
    pub(crate) fn compile(guard: Option<&str>, expr: &str) -> Result<Self, String> {
        let compile = |src: &str| env().compile(src).map_err(|e| e.to_string());
        let guard = guard.map(compile).transpose()?;
        let expr = compile(expr)?;
        let mut variables: Vec<String> = Vec::new();
        for program in guard.iter().chain(std::iter::once(&expr)) {
            for name in program.references().variables() {
                if !variables.iter().any(|v| v == name) {
                    variables.push(name.to_owned());
                }
            }
        }
        let mut fields = Vec::new();
        let message = if guard
            .iter()
            .chain(std::iter::once(&expr))
            .all(|p| selected_fields(p.expression(), "message", &mut fields))
        {
            Reads::Fields(fields)
        } else {
            Reads::Whole
        };
        let native = match &guard {
            Some(g) => Node::compile(g.expression(), &CHECKS).map(Some),
            None => Some(None),
        }
        .and_then(|g| Some((g, Node::compile(expr.expression(), &CHECKS)?)));
        Ok(Self {
            guard,
            expr,
            variables,
            message,
            native,
        })
    }

    /// How the programs read `message`.
    pub(crate) fn reads(&self) -> &Reads {
        &self.message
    }

    /// Whether the guard and the expression are both in the native subset.
    pub(crate) fn is_native(&self) -> bool {
        self.native.is_some()
    }

    /// The native guard and expression, when both are in the subset.
    pub(crate) fn native(&self) -> Option<(Option<&Node>, &Node)> {
        self.native.as_ref().map(|(g, e)| (g.as_ref(), e))
    }

    /// Runs the program natively on `vars` ([`Compiled::run`]'s answer), or `None` when
    /// it is not in the native subset or the evaluation is left to the interpreter (every
    /// error among them).
    pub(crate) fn run_native(&self, vars: &Vars<'_>) -> Option<Option<CelValue>> {
        let (guard, expr) = self.native.as_ref()?;
        if let Some(guard) = guard {
            match guard.eval(vars) {
                Ok(V::Bool(true)) => {}
                Ok(_) => return Some(None),
                Err(Unsure) => return None,
            }
        }
        Some(Some(expr.eval(vars).ok()?.to_cel()?))
    }

    /// Runs the program: natively when it can ([`Compiled::run_native`]), else by the
    /// interpreter with the variables `interpreted` builds.
    ///
    /// Errors: as [`Compiled::run`].
    pub(crate) fn run_either<'v>(
        &self,
        vars: &Vars<'_>,
        interpreted: impl FnOnce() -> Vec<(&'static str, Box<dyn Val + 'v>)>,
    ) -> Result<Option<CelValue>, String> {
        match self.run_native(vars) {
            Some(answer) => Ok(answer),
            None => self.run(interpreted()),
        }
    }

    /// A record bound as `message`, borrowing it: a CEL map of the fields the program
    /// selects (those the record has), or of all of them when it reads the record as a
    /// whole. The program cannot tell the two apart.
    pub(crate) fn message_val<'v>(&'v self, record: &'v Value) -> Box<dyn Val + 'v> {
        match (&self.message, record) {
            (Reads::Fields(fields), Value::Object(map)) => {
                let map: HashMap<CelMapKey<'v>, Box<dyn Val + 'v>> = fields
                    .iter()
                    .filter_map(|f| Some((CelMapKey::from(f.as_str()), to_val(map.get(f)?))))
                    .collect();
                Box::new(CelMap::from(map))
            }
            _ => to_val(record),
        }
    }

    /// [`Compiled::message_val`] of a record's fields, as an owned value (the containing
    /// record of a field rule, built once per record and bound for each of its fields).
    pub(crate) fn record_value(&self, map: &serde_json::Map<String, Value>) -> CelValue {
        match &self.message {
            Reads::Fields(fields) => {
                let map: HashMap<Key, CelValue> = fields
                    .iter()
                    .filter_map(|f| Some((Key::String(Arc::new(f.clone())), to_cel(map.get(f)?))))
                    .collect();
                CelValue::Map(Map { map: Arc::new(map) })
            }
            Reads::Whole => map_to_cel(map),
        }
    }

    /// Whether the program reads the variable `name`.
    pub(crate) fn uses(&self, name: &str) -> bool {
        self.variables.iter().any(|v| v == name)
    }

    /// Runs the program with `vars` bound (those it does not read are dropped unbound).
    /// `Ok(None)` when the guard is false (the rule does not apply to this value),
    /// `Ok(Some(result))` otherwise.
    ///
    /// Errors: CEL's execution error (an unknown field, a type mismatch, ...).
    pub(crate) fn run<'v>(
        &self,
        vars: Vec<(&'static str, Box<dyn Val + 'v>)>,
    ) -> Result<Option<CelValue>, String> {
        let bound = Bound(vars.into_iter().filter(|(n, _)| self.uses(n)).collect());
        ROOT.with(|root| {
            let root: &Context<'_, '_> = root;
            let mut scope = root.new_inner_scope();
            scope.set_variable_resolver(&bound);
            if let Some(guard) = &self.guard {
                match guard.execute(&scope).map_err(|e| e.to_string())? {
                    CelValue::Bool(true) => {}
                    _ => return Ok(None),
                }
            }
            self.expr
                .execute(&scope)
                .map(Some)
                .map_err(|e| e.to_string())
        })
    }

    /// [`Compiled::run`] with owned values.
    #[cfg(test)]
    pub(crate) fn run_values(
        &self,
        vars: &[(&'static str, CelValue)],
    ) -> Result<Option<CelValue>, String> {
        let vars = vars
            .iter()
            .map(|(name, value)| {
                let val: Box<dyn Val> = value
                    .clone()
                    .try_into()
                    .map_err(|e: cel::ExecutionError| e.to_string())?;
                Ok((*name, val))
            })
            .collect::<Result<Vec<_>, String>>()?;
        self.run(vars)
    }
}

/// A JSON value as a CEL value borrowing it: integers as `int` (or `uint` past `i64`),
/// other numbers as `double`, strings borrowed, objects as maps with string keys. The same
/// value as [`to_cel`] gives, without copying the strings.
pub(crate) fn to_val(value: &Value) -> Box<dyn Val + '_> {
    match value {
        Value::Null => Box::new(CelNull),
        Value::Bool(b) => Box::new(CelBool::from(*b)),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Box::new(CelInt::from(i)),
            (None, Some(u)) => Box::new(CelUInt::from(u)),
            _ => Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN))),
        },
        Value::String(s) => Box::new(CelString::from(s.as_str())),
        Value::Array(items) => {
            Box::new(CelList::from(items.iter().map(to_val).collect::<Vec<_>>()))
        }
        Value::Object(fields) => Box::new(CelMap::from(
            fields
                .iter()
                .map(|(k, v)| (CelMapKey::from(k.as_str()), to_val(v)))
                .collect::<HashMap<_, _>>(),
        )),
    }
}

/// A JSON value as CEL sees it: integers as `int` (or `uint` past `i64`), other numbers as
/// `double`, objects as maps with string keys.
pub(crate) fn to_cel(value: &Value) -> CelValue {
    match value {
        Value::Null => CelValue::Null,
        Value::Bool(b) => CelValue::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => CelValue::Int(i),
            (None, Some(u)) => CelValue::UInt(u),
            _ => CelValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => CelValue::String(Arc::new(s.clone())),
        Value::Array(items) => CelValue::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(fields) => map_to_cel(fields),
    }
}

fn map_to_cel(fields: &serde_json::Map<String, Value>) -> CelValue {
    let map: HashMap<Key, CelValue> = fields
        .iter()
        .map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v)))
        .collect();
    CelValue::Map(Map { map: Arc::new(map) })
}

/// A CEL result back as JSON (a transform's new value). Bytes become a string of code
/// points 0–255 (Avro's JSON form of bytes).
///
/// Errors: a value with no JSON form (a function, an opaque value, a non-finite double).
pub(crate) fn to_json(value: &CelValue) -> Result<Value, String> {
    Ok(match value {
        CelValue::Null => Value::Null,
        CelValue::Bool(b) => Value::Bool(*b),
        CelValue::Int(i) => Value::from(*i),
        CelValue::UInt(u) => Value::from(*u),
        CelValue::Float(f) => {
            Value::Number(Number::from_f64(*f).ok_or_else(|| format!("{f} has no JSON form"))?)
        }
        CelValue::String(s) => Value::String(s.as_str().to_owned()),
        CelValue::Bytes(b) => Value::String(b.iter().map(|&c| char::from(c)).collect()),
        CelValue::List(items) => Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        CelValue::Map(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map.map.iter() {
                let key = match k {
                    Key::String(s) => s.as_str().to_owned(),
                    Key::Int(i) => i.to_string(),
                    Key::Uint(u) => u.to_string(),
                    Key::Bool(b) => b.to_string(),
                };
                out.insert(key, to_json(v)?);
            }
            Value::Object(out)
        }
        other => return Err(format!("a CEL result with no JSON form: {other:?}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(expr: &str, message: Value) -> Result<Option<CelValue>, String> {
        let program = Compiled::compile(None, expr)?;
        program.run(vec![("message", program.message_val(&message))])
    }

    #[test]
    fn conditions_see_the_message_as_a_map() {
        let m = json!({"amount": 10, "price": 2.5, "email": "a@example.com", "items": [1, 2]});
        let cases = [
            ("message.amount > 0", true),
            ("message.price > 2.0", true),
            ("message.email.isEmail()", true),
            ("message.email.matches('^[a-z]+@')", true),
            ("size(message.items) == 2", true),
            ("message.email.endsWith('.org')", false),
            ("'not an address'.isEmail()", false),
            ("'123e4567-e89b-12d3-a456-426614174000'.isUuid()", true),
            (
                "'::1'.isIpv6() && '10.0.0.1'.isIpv4() && 'a-b.example'.isHostname()",
                true,
            ),
            ("'https://example.com/x?y'.isUri()", true),
            ("message.email.lowerAscii() == 'a@example.com'", true),
            (
                "'XXX-XX-' + '123-45-6789'.substring(7) == 'XXX-XX-6789'",
                true,
            ),
        ];
        for (expr, expected) in cases {
            assert_eq!(
                eval(expr, m.clone()),
                Ok(Some(CelValue::Bool(expected))),
                "{expr}"
            );
        }
    }

    #[test]
    fn a_false_guard_skips_and_errors_carry_cels_message() {
        let compiled = Compiled::compile(Some("name == 'ssn'"), "value.size() == 11").unwrap();
        let vars = |name: &str| {
            [
                ("name", CelValue::String(Arc::new(name.into()))),
                ("value", CelValue::String(Arc::new("123".into()))),
            ]
        };
        assert_eq!(compiled.run_values(&vars("other")), Ok(None));
        assert_eq!(
            compiled.run_values(&vars("ssn")),
            Ok(Some(CelValue::Bool(false)))
        );
        assert!(eval("message.missing > 0", json!({})).is_err());
        assert!(Compiled::compile(None, "message.(").is_err());
    }

    #[test]
    fn only_the_selected_fields_of_the_message_are_bound_unless_it_is_read_whole() {
        let reads = |expr: &str| Compiled::compile(None, expr).unwrap().message;
        let fields = |names: &[&str]| Reads::Fields(names.iter().map(|n| n.to_string()).collect());
        assert_eq!(reads("message.amount >= 0.0"), fields(&["amount"]));
        assert_eq!(
            reads("has(message.note) || message.customer.email.isEmail() && message.amount > 1.0"),
            fields(&["note", "customer", "amount"])
        );
        assert_eq!(reads("value.isEmail()"), fields(&[]));
        for whole in [
            "size(message) > 2",
            "message['amount'] > 0",
            "message.all(k, k != '')",
            "[1].all(message, message > 0)",
            "message == {}",
        ] {
            assert_eq!(reads(whole), Reads::Whole, "{whole}");
        }
        // The program sees the same answers either way.
        let m = json!({"amount": 3, "note": null, "extra": "x"});
        assert_eq!(
            eval("has(message.note) && !has(message.missing)", m.clone()),
            Ok(Some(CelValue::Bool(true)))
        );
        assert!(eval("message.missing > 0", m.clone()).is_err());
        assert_eq!(
            eval("size(message) == 3", m),
            Ok(Some(CelValue::Bool(true)))
        );
    }

    /// Records whose fields take every kind of value the subset meets, and the boundaries
    /// of its numeric comparisons (`uint` past `i64`, integers past 2^53 as doubles).
    fn differential_records() -> Vec<Value> {
        vec![
            json!({"i": 1, "u": 18446744073709551615u64, "d": 1.0, "s": "a", "n": null,
                   "b": true, "o": {"x": 1, "s": "a@example.com"}, "l": [1, 2],
                   "big": 9223372036854775807i64}),
            json!({"i": -1, "u": 0, "d": 2.5, "s": "é@example.com", "n": null, "b": false,
                   "o": {}, "l": [], "big": -9223372036854775808i64}),
            json!({"i": 9007199254740993i64, "u": 9223372036854775808u64,
                   "d": 9007199254740992.0, "s": "", "b": true, "o": {"x": "1"},
                   "l": ["a"], "big": 1.5e300}),
            json!({"i": 0, "u": 1, "d": -0.0, "s": "ab\u{1F600}c", "b": false,
                   "o": {"x": null}, "l": [null], "big": 2}),
            json!({}),
            json!({"i": "1", "u": null, "d": true, "s": 1, "n": "null", "b": null,
                   "o": [1], "l": {"a": 1}, "big": {}}),
            json!({"i": 1.0, "u": 1, "d": 1, "s": "123-45-6789", "n": 0, "b": "true",
                   "o": "x", "l": "list", "big": []}),
        ]
    }

    const ATOMS: [&str; 27] = [
        "message.i",
        "message.u",
        "message.d",
        "message.s",
        "message.n",
        "message.b",
        "message.o",
        "message.l",
        "message.big",
        "message.missing",
        "message.o.x",
        "message.o.s",
        "1",
        "1u",
        "1.0",
        "-1",
        "0",
        "9223372036854775807",
        "18446744073709551615u",
        "9007199254740992.0",
        "2.5",
        "'a'",
        "''",
        "true",
        "false",
        "null",
        "'\\u00e9@example.com'",
    ];

    /// Per input, the native answer (`None`: left to the interpreter) and the
    /// interpreter's.
    type Outcomes = Vec<(Option<Option<CelValue>>, Result<Option<CelValue>, String>)>;

    /// Compiles `guard ; expr` and runs it on each record, natively and by the
    /// interpreter; panics where the native answer is not the interpreter's. Returns the
    /// number of (record, expression) pairs the native path decided and the number run.
    fn differ(
        guard: Option<&str>,
        expr: &str,
        runs: &mut dyn FnMut(&Compiled) -> Outcomes,
    ) -> (usize, usize) {
        let Ok(program) = Compiled::compile(guard, expr) else {
            return (0, 0);
        };
        let mut decided = 0;
        let outcomes = runs(&program);
        let total = outcomes.len();
        for (i, (native, interpreted)) in outcomes.into_iter().enumerate() {
            if let Some(native) = native {
                decided += 1;
                assert_eq!(
                    Ok(native.clone()),
                    interpreted,
                    "`{}{expr}` on input {i}: native {native:?}, interpreter {interpreted:?}",
                    guard.map(|g| format!("{g} ; ")).unwrap_or_default()
                );
            }
        }
        (decided, total)
    }

    #[test]
    fn the_native_subset_answers_as_the_interpreter_does() {
        let records = differential_records();
        let mut on_records = |program: &Compiled| {
            records
                .iter()
                .map(|record| {
                    let vars = Vars {
                        message: Some(record),
                        ..Vars::default()
                    };
                    let native = program.run_native(&vars);
                    let interpreted = program.run(vec![("message", program.message_val(record))]);
                    (native, interpreted)
                })
                .collect()
        };
        let mut exprs: Vec<String> = Vec::new();
        for a in ATOMS {
            for b in ATOMS {
                for op in ["==", "!=", "<", "<=", ">", ">="] {
                    exprs.push(format!("{a} {op} {b}"));
                }
            }
            for unary in [
                "!{a}",
                "size({a})",
                "{a}.size() > 1",
                "{a}.startsWith('a')",
                "{a}.endsWith('.com')",
                "{a}.contains('@')",
                "{a}.matches('^[a-z]+$')",
                "{a}.matches('^[0-9]{3}-[0-9]{2}-[0-9]{4}$')",
                "{a}.isEmail()",
                "{a}.isUuid()",
                "{a} ? 1 : 'x'",
                "has({a}.x)",
                "{a}",
            ] {
                exprs.push(unary.replace("{a}", a));
            }
        }
        let logic = [
            "true",
            "false",
            "message.b",
            "message.i",
            "message.missing > 0",
            "message.n",
            "message.i > 0",
            "!message.b",
            "has(message.o.x)",
            "has(message.missing)",
        ];
        for a in logic {
            for b in logic {
                exprs.push(format!("{a} && {b}"));
                exprs.push(format!("{a} || {b}"));
                exprs.push(format!("{a} ? {b} : !{b}"));
                exprs.push(format!("({a} || {b}) && !({b} && {a})"));
            }
        }
        let (mut decided, mut total, mut native_programs) = (0, 0, 0);
        for expr in &exprs {
            let (d, t) = differ(None, expr, &mut on_records);
            if Compiled::compile(None, expr).is_ok_and(|p| p.is_native()) {
                native_programs += 1;
            }
            decided += d;
            total += t;
        }
        for (guard, expr) in [
            ("message.i > 0", "message.s.isEmail()"),
            ("message.missing == 1", "true"),
            ("message.s", "true"),
            ("has(message.o)", "message.o.x == 1"),
        ] {
            let (d, t) = differ(Some(guard), expr, &mut on_records);
            decided += d;
            total += t;
        }
        // The test means something only if the native path answers most of it.
        assert!(
            native_programs * 10 > exprs.len() * 9,
            "{native_programs} of {}",
            exprs.len()
        );
        // Most pairs on the odd records are errors, left to the interpreter.
        assert!(decided * 5 > total, "native answered {decided} of {total}");
    }

    #[test]
    fn the_native_subset_answers_field_rules_as_the_interpreter_does() {
        let records = differential_records();
        let values: Vec<&Value> = records
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|m| m.values())
            .collect();
        let tags = vec!["PII".to_owned()];
        let mut on_fields = |program: &Compiled| {
            let mut out = Vec::new();
            for value in &values {
                for (name, type_name) in [("email", "STRING"), ("ssn", "INT"), ("", "NULL")] {
                    let full_name = format!("acme.Order.{name}");
                    let vars = Vars {
                        value: Some(value),
                        name: Some(name),
                        full_name: Some(&full_name),
                        type_name: Some(type_name),
                        tags: Some(&tags),
                        message: None,
                    };
                    let native = program.run_native(&vars);
                    let bound: Vec<(&'static str, Box<dyn Val>)> = vec![
                        ("value", to_val(value)),
                        ("name", Box::new(CelString::from(name))),
                        ("fullName", Box::new(CelString::from(full_name.as_str()))),
                        ("typeName", Box::new(CelString::from(type_name))),
                        (
                            "tags",
                            Box::new(CelList::from(vec![
                                Box::new(CelString::from("PII")) as Box<dyn Val>
                            ])),
                        ),
                    ];
                    out.push((native, program.run(bound)));
                }
            }
            out
        };
        let (mut decided, mut total) = (0, 0);
        for (guard, expr) in [
            (Some("name == 'email'"), "value.isEmail()"),
            (
                Some("typeName == 'STRING'"),
                "value.matches('^[0-9]{3}-[0-9]{2}-[0-9]{4}$')",
            ),
            (
                Some("fullName == 'acme.Order.ssn' || name == 'email'"),
                "value != null",
            ),
            (None, "value == null || value.matches('^[a-z]')"),
            (None, "size(value) < 5"),
            (None, "value > 0"),
            (None, "value >= 1u && value <= 2.5"),
            (None, "size(tags) == 1 && typeName != 'INT'"),
            (None, "value"),
            (None, "name"),
            (None, "value.startsWith('a') ? 'X' : value"),
            (None, "!(value == 1)"),
        ] {
            let (d, t) = differ(guard, expr, &mut on_fields);
            decided += d;
            total += t;
        }
        assert!(decided * 2 > total, "native answered {decided} of {total}");
    }

    #[test]
    fn json_round_trips_through_cel() {
        let v = json!({"a": [1, 2.5, "x", null, true], "b": {"c": -3}});
        assert_eq!(to_json(&to_cel(&v)).unwrap(), v);
    }
}
