//! A small subset of CEL evaluated without the `cel` interpreter, straight on the JSON
//! record (borrowed): the expressions data contracts write most, such as Confluent's
//! examples `message.amount > 0`, `value.isEmail()` or `name == 'ssn' ;
//! value.matches('^[0-9]{3}-[0-9]{2}-[0-9]{4}$')` (Confluent's `CelExecutor` and
//! `CelFieldExecutor` run them with cel-java; Warden with the `cel` crate).
//!
//! The subset, compiled once per rule from the program's AST ([`Node::compile`]):
//! - the variables `message`, `value`, `name`, `fullName`, `typeName` and `tags`;
//! - field selection (`message.customer.email`) and `has(message.note)`;
//! - `null`, `bool`, `int`, `uint`, `double` and string literals;
//! - `==`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||`, `!` and `_ ? _ : _`;
//! - `size` (global and member), and on strings `startsWith`, `endsWith`, `contains`,
//!   `matches` with a literal pattern, and Confluent's format checks (`isEmail`,
//!   `isHostname`, `isIpv4`, `isIpv6`, `isUri`, `isUriRef`, `isUuid`).
//!
//! Anything else is not compiled, and the rule runs in the interpreter. Within the subset
//! the results are the interpreter's (cel 0.15's `Val` implementations: `int`, `uint` and
//! `double` compare with each other, `==` across other types is `false`, a missing field or
//! a selection on a non-map is an error, `&&` and `||` absorb an error on one side when the
//! other decides): where an evaluation meets a case it does not mirror exactly, above all
//! every error, it answers [`Unsure`] and the caller runs the interpreter, whose answer
//! (and error message) is the one used. `rules::cel`'s differential test runs expressions ×
//! records through both.

use std::cmp::Ordering;

use cel::Value as CelValue;
use cel::common::ast::{Expr, IdedExpr};
use serde_json::{Map, Value};

use super::cel::StringCheck;

/// "Ask the interpreter": an error, or a case the subset does not decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unsure;

/// A variable a rule's program reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Var {
    Message,
    Value,
    Name,
    FullName,
    TypeName,
    Tags,
}

impl Var {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "message" => Self::Message,
            "value" => Self::Value,
            "name" => Self::Name,
            "fullName" => Self::FullName,
            "typeName" => Self::TypeName,
            "tags" => Self::Tags,
            _ => return None,
        })
    }
}

/// The variables of one execution, borrowed; `None` for one not bound (reading it is an
/// error in the interpreter, so [`Unsure`] here).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Vars<'a> {
    pub(crate) message: Option<&'a Value>,
    pub(crate) value: Option<&'a Value>,
    pub(crate) name: Option<&'a str>,
    pub(crate) full_name: Option<&'a str>,
    pub(crate) type_name: Option<&'a str>,
    pub(crate) tags: Option<&'a [String]>,
}

/// A value during an evaluation, borrowing the record or the program: JSON numbers as
/// `to_val` converts them (an integer as `int`, past `i64` as `uint`, else `double`),
/// objects as maps, arrays as lists.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum V<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    Str(&'a str),
    Map(&'a Map<String, Value>),
    List(&'a [Value]),
    Tags(&'a [String]),
}

impl<'a> V<'a> {
    fn of(value: &'a Value) -> Self {
        match value {
            Value::Null => V::Null,
            Value::Bool(b) => V::Bool(*b),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => V::Int(i),
                (None, Some(u)) => V::UInt(u),
                _ => V::Double(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => V::Str(s),
            Value::Array(items) => V::List(items),
            Value::Object(map) => V::Map(map),
        }
    }

    /// The result as the interpreter returns it; `None` for a map or list (left to the
    /// interpreter, which builds them).
    pub(crate) fn to_cel(self) -> Option<CelValue> {
        Some(match self {
            V::Null => CelValue::Null,
            V::Bool(b) => CelValue::Bool(b),
            V::Int(i) => CelValue::Int(i),
            V::UInt(u) => CelValue::UInt(u),
            V::Double(d) => CelValue::Float(d),
            V::Str(s) => CelValue::String(std::sync::Arc::new(s.to_owned())),
            V::Map(_) | V::List(_) | V::Tags(_) => return None,
        })
    }
}

/// A literal of the program.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    Str(String),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A string function with one string argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrFn {
    StartsWith,
    EndsWith,
    Contains,
}

/// A compiled expression of the subset.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Lit(Lit),
    Var(Var),
    /// `operand.field`.
    Select(Box<Node>, String),
    /// `has(operand.field)`.
    Has(Box<Node>, String),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Cond(Box<Node>, Box<Node>, Box<Node>),
    Cmp(Cmp, Box<Node>, Box<Node>),
    Size(Box<Node>),
    Str(StrFn, Box<Node>, Box<Node>),
    Matches(Box<Node>, Box<regex::Regex>),
    /// A format check (`isEmail`, ...) on a string.
    Check(StringCheck, Box<Node>),
}

impl Node {
    /// The expression `expr` in the subset, or `None` when some part of it is outside.
    /// `checks` are the format checks by name.
    pub(crate) fn compile(expr: &IdedExpr, checks: &[(&'static str, StringCheck)]) -> Option<Self> {
        let boxed = |e: &IdedExpr| Self::compile(e, checks).map(Box::new);
        Some(match &expr.expr {
            Expr::Literal(literal) => {
                // Through the interpreter's own value, so that literals read as it reads
                // them (`1u`, `1.0`, escapes).
                let value: CelValue = literal.to_val().as_ref().try_into().ok()?;
                Node::Lit(match value {
                    CelValue::Null => Lit::Null,
                    CelValue::Bool(b) => Lit::Bool(b),
                    CelValue::Int(i) => Lit::Int(i),
                    CelValue::UInt(u) => Lit::UInt(u),
                    CelValue::Float(d) => Lit::Double(d),
                    CelValue::String(s) => Lit::Str(s.as_str().to_owned()),
                    _ => return None,
                })
            }
            Expr::Ident(name) => Node::Var(Var::parse(name)?),
            Expr::Select(select) => {
                let operand = boxed(&select.operand)?;
                if select.test {
                    Node::Has(operand, select.field.clone())
                } else {
                    Node::Select(operand, select.field.clone())
                }
            }
            Expr::Call(call) => {
                let name = call.func_name.as_str();
                match (call.target.as_deref(), call.args.as_slice()) {
                    (None, [a, b]) => {
                        let op = match name {
                            "_&&_" => return Some(Node::And(boxed(a)?, boxed(b)?)),
                            "_||_" => return Some(Node::Or(boxed(a)?, boxed(b)?)),
                            "_==_" => Cmp::Eq,
                            "_!=_" => Cmp::Ne,
                            "_<_" => Cmp::Lt,
                            "_<=_" => Cmp::Le,
                            "_>_" => Cmp::Gt,
                            "_>=_" => Cmp::Ge,
                            _ => return None,
                        };
                        Node::Cmp(op, boxed(a)?, boxed(b)?)
                    }
                    (None, [c, a, b]) if name == "_?_:_" => {
                        Node::Cond(boxed(c)?, boxed(a)?, boxed(b)?)
                    }
                    (None, [a]) => match name {
                        "!_" => Node::Not(boxed(a)?),
                        "size" => Node::Size(boxed(a)?),
                        _ => return None,
                    },
                    (Some(target), []) => {
                        if name == "size" {
                            return Some(Node::Size(boxed(target)?));
                        }
                        let &(_, check) = checks.iter().find(|(n, _)| *n == name)?;
                        // `isEmail` on an identifier: the interpreter first looks for a
                        // function named `<ident>.isEmail`; there is none.
                        Node::Check(check, boxed(target)?)
                    }
                    (Some(target), [arg]) => match name {
                        "startsWith" => Node::Str(StrFn::StartsWith, boxed(target)?, boxed(arg)?),
                        "endsWith" => Node::Str(StrFn::EndsWith, boxed(target)?, boxed(arg)?),
                        "contains" => Node::Str(StrFn::Contains, boxed(target)?, boxed(arg)?),
                        "matches" => {
                            let Node::Lit(Lit::Str(pattern)) = Self::compile(arg, checks)? else {
                                return None;
                            };
                            let regex = regex::Regex::new(&pattern).ok()?;
                            Node::Matches(boxed(target)?, Box::new(regex))
                        }
                        _ => return None,
                    },
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    /// Evaluates the expression with `vars`.
    ///
    /// Errors: [`Unsure`] for every error of the interpreter and every case left to it.
    pub(crate) fn eval<'a>(&'a self, vars: &Vars<'a>) -> Result<V<'a>, Unsure> {
        Ok(match self {
            Node::Lit(lit) => match lit {
                Lit::Null => V::Null,
                Lit::Bool(b) => V::Bool(*b),
                Lit::Int(i) => V::Int(*i),
                Lit::UInt(u) => V::UInt(*u),
                Lit::Double(d) => V::Double(*d),
                Lit::Str(s) => V::Str(s),
            },
            Node::Var(var) => match var {
                Var::Message => V::of(vars.message.ok_or(Unsure)?),
                Var::Value => V::of(vars.value.ok_or(Unsure)?),
                Var::Name => V::Str(vars.name.ok_or(Unsure)?),
                Var::FullName => V::Str(vars.full_name.ok_or(Unsure)?),
                Var::TypeName => V::Str(vars.type_name.ok_or(Unsure)?),
                Var::Tags => V::Tags(vars.tags.ok_or(Unsure)?),
            },
            Node::Select(operand, field) => match operand.eval(vars)? {
                // A missing key is an error (`no such key`).
                V::Map(map) => V::of(map.get(field).ok_or(Unsure)?),
                _ => return Err(Unsure),
            },
            Node::Has(operand, field) => match operand.eval(vars)? {
                V::Map(map) => V::Bool(map.contains_key(field)),
                _ => return Err(Unsure),
            },
            // The interpreter's `&&`: the left side, unless it is `false`, then the right
            // side, whose error is the result's; an error (or non-bool) on the left is
            // absorbed by a `false` on the right.
            Node::And(a, b) => {
                let left = truth(a.eval(vars));
                if left == Ok(false) {
                    return Ok(V::Bool(false));
                }
                match (left, b.eval(vars)?) {
                    (Ok(true), V::Bool(right)) => V::Bool(right),
                    (Err(_), V::Bool(false)) => V::Bool(false),
                    _ => return Err(Unsure),
                }
            }
            Node::Or(a, b) => {
                let left = truth(a.eval(vars));
                if left == Ok(true) {
                    return Ok(V::Bool(true));
                }
                match (left, b.eval(vars)?) {
                    (Ok(false), V::Bool(right)) => V::Bool(right),
                    (Err(_), V::Bool(true)) => V::Bool(true),
                    _ => return Err(Unsure),
                }
            }
            Node::Not(a) => match a.eval(vars)? {
                V::Bool(b) => V::Bool(!b),
                _ => return Err(Unsure),
            },
            Node::Cond(c, a, b) => match c.eval(vars)? {
                V::Bool(true) => a.eval(vars)?,
                V::Bool(false) => b.eval(vars)?,
                _ => return Err(Unsure),
            },
            Node::Cmp(op, a, b) => {
                let (a, b) = (a.eval(vars)?, b.eval(vars)?);
                V::Bool(match op {
                    Cmp::Eq => equals(a, b)?,
                    Cmp::Ne => !equals(a, b)?,
                    Cmp::Lt => compare(a, b)? == Ordering::Less,
                    Cmp::Le => compare(a, b)? != Ordering::Greater,
                    Cmp::Gt => compare(a, b)? == Ordering::Greater,
                    Cmp::Ge => compare(a, b)? != Ordering::Less,
                })
            }
            Node::Size(a) => match a.eval(vars)? {
                V::Str(s) => V::Int(i64::try_from(s.chars().count()).map_err(|_| Unsure)?),
                V::List(items) => V::Int(i64::try_from(items.len()).map_err(|_| Unsure)?),
                V::Tags(items) => V::Int(i64::try_from(items.len()).map_err(|_| Unsure)?),
                V::Map(map) => V::Int(i64::try_from(map.len()).map_err(|_| Unsure)?),
                _ => return Err(Unsure),
            },
            Node::Str(f, target, arg) => match (target.eval(vars)?, arg.eval(vars)?) {
                (V::Str(s), V::Str(x)) => V::Bool(match f {
                    StrFn::StartsWith => s.starts_with(x),
                    StrFn::EndsWith => s.ends_with(x),
                    StrFn::Contains => s.contains(x),
                }),
                _ => return Err(Unsure),
            },
            Node::Matches(target, regex) => match target.eval(vars)? {
                V::Str(s) => V::Bool(regex.is_match(s)),
                _ => return Err(Unsure),
            },
            Node::Check(check, target) => match target.eval(vars)? {
                V::Str(s) => V::Bool(check(s)),
                _ => return Err(Unsure),
            },
        })
    }

    /// The paths of fields of `message` the expression selects (`message.customer.email`
    /// gives `["customer", "email"]`; `has(message.note)` gives `["note"]`), added to
    /// `paths`; `false` when it reads `message` whole (`size(message)`, a comparison of the
    /// record).
    pub(crate) fn message_paths(&self, paths: &mut Vec<Vec<String>>) -> bool {
        match self {
            Node::Var(Var::Message) => false,
            Node::Select(operand, _) | Node::Has(operand, _) => match self.chain() {
                Some(path) => {
                    if !paths.contains(&path) {
                        paths.push(path);
                    }
                    true
                }
                None => operand.message_paths(paths),
            },
            Node::Lit(_) | Node::Var(_) => true,
            Node::Not(a) | Node::Size(a) | Node::Matches(a, _) | Node::Check(_, a) => {
                a.message_paths(paths)
            }
            Node::And(a, b) | Node::Or(a, b) | Node::Cmp(_, a, b) | Node::Str(_, a, b) => {
                a.message_paths(paths) && b.message_paths(paths)
            }
            Node::Cond(c, a, b) => {
                c.message_paths(paths) && a.message_paths(paths) && b.message_paths(paths)
            }
        }
    }

    /// `message.a.b…` as its path `[a, b, …]`.
    fn chain(&self) -> Option<Vec<String>> {
        match self {
            Node::Select(operand, field) | Node::Has(operand, field) => {
                let mut path = match &**operand {
                    Node::Var(Var::Message) => Vec::new(),
                    Node::Select(..) => operand.chain()?,
                    _ => return None,
                };
                path.push(field.clone());
                Some(path)
            }
            _ => None,
        }
    }

    /// When the expression is a guard that holds only for fields named by literals
    /// (`name == 'email'`, `fullName == 'acme.Order.ssn' || name == 'ssn'`), those names:
    /// `(names, full names)`.
    pub(crate) fn name_guard(&self) -> Option<(Vec<&str>, Vec<&str>)> {
        match self {
            Node::Cmp(Cmp::Eq, a, b) => {
                let (var, lit) = match (&**a, &**b) {
                    (Node::Var(v), Node::Lit(Lit::Str(s)))
                    | (Node::Lit(Lit::Str(s)), Node::Var(v)) => (*v, s.as_str()),
                    _ => return None,
                };
                match var {
                    Var::Name => Some((vec![lit], Vec::new())),
                    Var::FullName => Some((Vec::new(), vec![lit])),
                    _ => None,
                }
            }
            Node::Or(a, b) => {
                let (mut names, mut full) = a.name_guard()?;
                let (n, f) = b.name_guard()?;
                names.extend(n);
                full.extend(f);
                Some((names, full))
            }
            Node::And(a, b) => a.name_guard().or_else(|| b.name_guard()),
            _ => None,
        }
    }
}

/// A boolean operand of `&&` / `||` (the interpreter's `try_bool`): an error or another
/// type is `Err`.
fn truth(value: Result<V<'_>, Unsure>) -> Result<bool, Unsure> {
    match value {
        Ok(V::Bool(b)) => Ok(b),
        _ => Err(Unsure),
    }
}

/// The interpreter's `Comparer` for two numbers (`int`, `uint`, `double` in any pair, as
/// cel 0.15's `CelInt`/`CelUInt`/`CelDouble`), or two strings. A NaN is an error.
fn compare(a: V<'_>, b: V<'_>) -> Result<Ordering, Unsure> {
    use Ordering::{Greater, Less};
    let float = |x: f64, y: f64| x.partial_cmp(&y).ok_or(Unsure);
    match (a, b) {
        (V::Int(x), V::Int(y)) => Ok(x.cmp(&y)),
        (V::Int(x), V::UInt(y)) => Ok(u64::try_from(x).map(|x| x.cmp(&y)).unwrap_or(Less)),
        (V::Int(x), V::Double(y)) => float(x as f64, y),
        (V::UInt(x), V::UInt(y)) => Ok(x.cmp(&y)),
        (V::UInt(x), V::Int(y)) => Ok(i64::try_from(x).map(|x| x.cmp(&y)).unwrap_or(Greater)),
        (V::UInt(x), V::Double(y)) => float(x as f64, y),
        (V::Double(x), V::Double(y)) => float(x, y),
        (V::Double(x), V::Int(y)) => float(x, y as f64),
        (V::Double(x), V::UInt(y)) => float(x, y as f64),
        (V::Str(x), V::Str(y)) => Ok(x.cmp(y)),
        _ => Err(Unsure),
    }
}

/// The interpreter's `==` for the pairs mirrored: numbers (equal when they compare equal;
/// a NaN equals nothing), strings, booleans, nulls.
fn equals(a: V<'_>, b: V<'_>) -> Result<bool, Unsure> {
    match (a, b) {
        (V::Int(_) | V::UInt(_) | V::Double(_), V::Int(_) | V::UInt(_) | V::Double(_)) => {
            Ok(compare(a, b) == Ok(Ordering::Equal))
        }
        (V::Str(x), V::Str(y)) => Ok(x == y),
        (V::Bool(x), V::Bool(y)) => Ok(x == y),
        (V::Null, V::Null) => Ok(true),
        _ => Err(Unsure),
    }
}
