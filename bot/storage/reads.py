"""Plain rows, read on a session's connection: for statements that select columns rather than entities.

These are the reads every command makes, so their cost per call is most of a command's. Through
SQLAlchemy's execution (an execution context, a cursor adapter run in a greenlet, a result object with
its metadata) one such read costs nearly three times what the driver's own round trip does. So after a
statement's first run, which goes through SQLAlchemy as any statement does and tells its column names,
it runs straight on the driver: SQLAlchemy still builds and compiles it (once per database), converts
its parameters and its columns with the same type processors it would use itself, and names the
columns as its own rows would. Only the work in between is skipped. A statement that cannot go this way
(on PostgreSQL, one that is not a plain read; one whose column types need the driver's own description
of them) keeps going through SQLAlchemy.

The driver's side is :class:`DirectReads`, which the product's two database adapters
(:mod:`bot.storage.pg_begin`, :mod:`bot.storage.sqlite_trips`) implement with the same transaction
handling their SQLAlchemy cursors have: on PostgreSQL a read outside a begun transaction does not begin
it; on SQLite a transaction's ``BEGIN IMMEDIATE`` goes with the statement if it is the first.
"""

from __future__ import annotations

import logging
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import ColumnElement, CompoundSelect, Executable, Select, Table, insert, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.compiler import Compiled, SQLCompiler
from sqlalchemy.sql.dml import ReturningInsert

from bot.log_safety import error_summary
from bot.storage.pg_begin import only_reads

logger = logging.getLogger(__name__)

# One row: a tuple of its columns, each also an attribute named as the column (``row.title``), and
# ``_asdict()`` mapping names to values. Typed as loosely as SQLAlchemy types its own rows of a statement.
Record = Any

Rows = Sequence[Record]


class DirectReads(Protocol):
    """A database adapter's connection that runs a compiled read itself and returns its raw rows; a
    driver error comes out as the adapter's DBAPI error, as from its cursor."""

    async def read_rows(self, sql: str, parameters: Sequence[Any]) -> Sequence[Sequence[Any]]: ...


Processor = Callable[[Any], Any]
_CALLERS = object()  # a parameter whose value each call gives


# An expanded statement's parameter, in order: the name a caller gives it by and, for an item of an IN
# list, its index; the type processor converting it; and the value it has when not given (processed), or
# _CALLERS. A name of None: a value fixed in the statement.
_Source = tuple[str | None, int | None, Processor | None, Any]


@dataclass(frozen=True, slots=True)
class _Shape:
    """A statement with its IN lists expanded to given lengths (the SQL is the same for any values of those
    lengths), and where each of its parameters comes from."""

    sql: str
    sources: tuple[_Source, ...]

    def parameters(self, params: Mapping[str, Any]) -> list[Any]:
        """The parameters for ``params``; KeyError for a parameter neither given nor with a value of its own."""
        parameters = []
        for name, index, processor, fixed in self.sources:
            if name is None:
                parameters.append(fixed)
                continue
            if index is not None:
                value = params[name][index]
            elif name in params or fixed is _CALLERS:
                value = params[name]
            else:
                parameters.append(fixed)
                continue
            parameters.append(processor(value) if processor is not None else value)
        return parameters


def _shape(compiled: SQLCompiler, processors: Mapping[str, Processor], params: Mapping[str, Any]) -> _Shape | None:
    """``compiled`` expanded for ``params``, as SQLAlchemy expands it, with where each parameter comes from;
    None when a list's values are not one parameter each (a list of tuples)."""
    state = compiled.construct_expanded_state(params, escape_names=False)
    if any(len(names) != len(params[name]) for name, names in state.parameter_expansion.items() if name in params):
        return None
    each = {**processors, **state.processors}
    item_of = {
        expanded: (name, index)
        for name, names in state.parameter_expansion.items()
        for index, expanded in enumerate(names)
        if name in params
    }
    sources: list[_Source] = []
    for name in state.positiontup or ():
        processor = each.get(name)
        if name in item_of:
            sources.append((*item_of[name], processor, _CALLERS))
            continue
        value = state.parameters[name]
        processed = processor(value) if processor is not None else value
        if name in compiled.binds:  # a parameter of its own, given now or not
            sources.append((name, None, processor, _CALLERS if name in params else processed))
        else:  # an item of a list the caller left to its default
            sources.append((None, None, None, processed))
    return _Shape(state.statement, tuple(sources))


# IN lists of how many different lengths a statement keeps expanded forms for; others are expanded each time.
MAX_SHAPES = 64


@dataclass(frozen=True, slots=True)
class _Plan:
    compiled: SQLCompiler
    processors: Mapping[str, Processor]  # the parameters a type processor converts, by name
    sql: str  # with any fixed IN list expanded, and
    positions: tuple[tuple[str, Any], ...]  # its parameters in order: name, and value if fixed (processed)
    lists: tuple[str, ...]  # IN lists a caller may give (and, given, expands on each call), by name: a shape's key
    row: Callable[[Iterable[Any]], Record]  # the row type's constructor from a sequence of values
    converted: tuple[tuple[int, Processor], ...]  # the columns a type processor converts, by position
    # Expanded forms by the lengths of the lists given, ((name, length), ...) in name order; None when the
    # statement renders values into its SQL (they differ with each value, not only with a list's length).
    shapes: dict[tuple[tuple[str, int], ...], _Shape | None] | None

    def sql_and_parameters(self, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
        processors = self.processors
        if params.keys().isdisjoint(self.lists):
            parameters = []
            for name, fixed in self.positions:
                if name in params:
                    value = params[name]
                    parameters.append(processors[name](value) if name in processors else value)
                elif fixed is not _CALLERS:
                    parameters.append(fixed)
                else:
                    break  # not given: SQLAlchemy's expansion below refuses it as it would
            else:
                return self.sql, parameters
        shapes = self.shapes
        key = self._shape_key(params) if shapes is not None else None
        if shapes is not None and key is not None:
            if key in shapes:
                shape = shapes[key]
            elif len(shapes) < MAX_SHAPES:
                shape = shapes[key] = _shape(self.compiled, processors, params)
            else:
                shape = None
            if shape is not None:
                try:
                    return shape.sql, shape.parameters(params)
                except KeyError:
                    pass  # a parameter not given: SQLAlchemy's expansion below refuses it as it would
        sql, _names, parameters = _expanded(self.compiled, processors, params)
        return sql, parameters

    def _shape_key(self, params: Mapping[str, Any]) -> tuple[tuple[str, int], ...] | None:
        """The lengths of the lists ``params`` gives, in name order; None when one is not a plain list (a list
        of tuples, a tuple IN, expands to a parameter per member of each)."""
        key = []
        for name in self.lists:
            if name in params:
                value = params[name]
                if not isinstance(value, list | tuple) or (value and isinstance(value[0], tuple)):
                    return None
                key.append((name, len(value)))
        return tuple(key)


def _expanded(
    compiled: SQLCompiler, processors: Mapping[str, Processor], params: Mapping[str, Any]
) -> tuple[str, Sequence[str], list[Any]]:
    """The statement with its IN lists expanded, as SQLAlchemy does it, its parameters' names in order and
    their values, converted by their types' processors (an expanded list's by its items')."""
    state = compiled.construct_expanded_state(params, escape_names=False)
    each = {**processors, **state.processors}
    names = state.positiontup or ()
    values = [
        each[name](value) if name in each else value
        for name, value in zip(names, state.positional_parameters, strict=True)
    ]
    return state.statement, names, values


# The product's reads are built once, at import; a statement built for each call would be planned and
# kept each time, so past this many per database the rest run through SQLAlchemy.
MAX_PLANS = 256
# Where a dialect (one per engine) keeps its plans: per statement, how it runs straight on the driver, or
# None for one that goes through SQLAlchemy every time. On the dialect itself, because each plan holds
# its compiled statement, which holds the dialect: kept anywhere else, they would keep every engine's
# dialect alive.
_PLANS_ATTRIBUTE = "customer_moment_direct_reads"


def plans_of(dialect: Dialect) -> dict[Executable, _Plan | None]:
    plans: dict[Executable, _Plan | None] | None = getattr(dialect, _PLANS_ATTRIBUTE, None)
    if plans is None:
        plans = {}
        setattr(dialect, _PLANS_ATTRIBUTE, plans)
    return plans


async def rows(session: AsyncSession, statement: Executable, params: Mapping[str, Any]) -> Rows:
    """Every row of ``statement``, run in the session's transaction on its connection.

    What the session holds unflushed is flushed first, as autoflush would (and, like it, not inside
    ``no_autoflush``), so the read sees it; such a read runs through SQLAlchemy, in one greenlet with
    the flush.
    """
    if session.autoflush and (session.new or session.dirty or session.deleted):
        return await session.run_sync(_read, statement, params)
    connection = await session.connection()
    dialect = connection.dialect
    plans = plans_of(dialect)
    if statement not in plans:
        if len(plans) >= MAX_PLANS:  # statements built anew for each call: not worth keeping
            return await session.run_sync(_read, statement, params)
        found, seen = await session.run_sync(_first_read, statement, params)
        try:
            plans[statement] = _plan(statement, dialect, seen, params)
        except Exception as error:  # the read went through: it keeps going through SQLAlchemy
            logger.warning(
                "a read cannot run on the driver directly (%s): it goes through SQLAlchemy", error_summary(error)
            )
            plans[statement] = None
        return found
    plan = plans[statement]
    # The connection's own: it is in the session's transaction, so reading it needs no trip anywhere.
    begun = connection.sync_connection
    driver = begun.connection.dbapi_connection if begun is not None else None
    if plan is None or not hasattr(driver, "read_rows"):
        return await session.run_sync(_read, statement, params)
    sql, parameters = plan.sql_and_parameters(params)
    try:
        found_raw = await cast(DirectReads, driver).read_rows(sql, parameters)
    except dialect.loaded_dbapi.Error as error:
        # As SQLAlchemy's execution would raise it: its own exception classes (the core tells a
        # database that cannot be reached from any other failure by them), parameters hidden.
        raise DBAPIError.instance(
            sql, None, error, dialect.loaded_dbapi.Error, hide_parameters=True, dialect=dialect
        ) from error
    make, converted = plan.row, plan.converted
    if not converted:
        return [make(raw) for raw in found_raw]
    found = []
    for raw in found_raw:
        values = list(raw)
        for index, processor in converted:
            values[index] = processor(values[index])
        found.append(make(values))
    return found


def _read(session: Session, statement: Executable, params: Mapping[str, Any]) -> Rows:
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()
    return session.connection().execute(statement, params).all()


@dataclass(frozen=True, slots=True)
class _Seen:
    """What a statement's first run through SQLAlchemy tells: its rows' names, and its compiled form."""

    keys: list[str]
    compiled: Compiled | None


def _first_read(session: Session, statement: Executable, params: Mapping[str, Any]) -> tuple[Rows, _Seen]:
    result = session.connection().execute(statement, params)
    return result.all(), _Seen(list(result.keys()), result.context.compiled)


def _plan(statement: Executable, dialect: Dialect, seen: _Seen, params: Mapping[str, Any]) -> _Plan | None:
    """How ``statement`` runs on the driver, compiled and its rows named as its first run through
    SQLAlchemy (``seen``) had them, its parameters as in ``params`` (that run's); None if it cannot."""
    if not isinstance(statement, Select | CompoundSelect):
        return None
    columns = list(statement.selected_columns)
    # SQLAlchemy's run may have used a form compiled for another statement of the same shape (its
    # compiled cache leaves literal values out of the key): then it holds that statement's fixed values.
    compiled = seen.compiled if seen.compiled is not None and seen.compiled.statement is statement else None
    if compiled is None:
        compiled = statement.compile(dialect=dialect)
    keys = seen.keys
    if len(columns) != len(keys) or not isinstance(compiled, SQLCompiler) or compiled.escaped_bind_names:
        return None
    if dialect.name == "postgresql" and not only_reads(compiled.string):
        return None
    binds = compiled.binds
    if any(bind.callable is not None for bind in binds.values()):
        return None  # a value computed on each call
    processors = {}
    for name, bind in binds.items():
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors[name] = processor
    sql, names, values = _expanded(compiled, processors, params)
    positions = [(name, _CALLERS if name in params else value) for name, value in zip(names, values, strict=True)]
    converted: list[tuple[int, Processor]] = []
    for index, column in enumerate(columns):
        try:
            # No driver description of the column here: a type whose conversion depends on it (a
            # PostgreSQL numeric) refuses, and the statement keeps going through SQLAlchemy.
            processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
        except Exception:
            return None
        if processor is not None:
            converted.append((index, processor))
    row = namedtuple("Record", keys, rename=True)  # type: ignore[misc]  # names known at run time
    return _Plan(
        compiled=compiled,
        processors=processors,
        sql=sql,
        positions=tuple(positions),
        lists=tuple(sorted(name for name, bind in binds.items() if bind.expanding)),
        row=row._make,
        converted=tuple(converted),
        shapes=None if compiled.literal_execute_params else {},
    )


E = TypeVar("E", bound=DeclarativeBase)


@dataclass(frozen=True, slots=True)
class Entity(Generic[E]):
    """A model's mapped columns, to select as plain columns and make entities of (:func:`loaded`)."""

    model: type[E]
    names: tuple[str, ...]  # its attributes' names, in the order of
    columns: tuple[ColumnElement[Any], ...]  # their columns
    key_at: int  # where its (one-column) primary key is among them
    insert: ReturningInsert[Any]  # a row of its table, returning every one of those columns (see :func:`inserted`)


def entity(model: type[E]) -> Entity[E]:
    attributes = model.__mapper__.column_attrs
    (key,) = model.__mapper__.primary_key
    columns = tuple(attribute.columns[0] for attribute in attributes)
    names = tuple(attribute.key for attribute in attributes)
    if names != tuple(column.key for column in columns):  # inserted() passes values by attribute name
        raise ValueError(f"{model.__name__}: an attribute is named unlike its column")
    table = cast(Table, model.__table__)
    return Entity(model, names, columns, columns.index(key), insert(table).returning(*columns))


def loaded(session: AsyncSession, of: Entity[E], values: Sequence[Any]) -> E | None:
    """The entity whose columns are ``values`` (``of.columns``, in order), part of ``session`` as if its own
    loading had read it: the one the session holds already with that key, or a new one with nothing changed
    yet. None when its key is NULL (an outer join found no row of it).

    Reading entities as plain columns (:func:`rows`) and making them here costs about a third of what the
    ORM's loading does for the same rows.
    """
    key = values[of.key_at]
    if key is None:
        return None
    present = session.identity_map.get(identity_key(of.model, key))
    if present is not None:
        # As the ORM's loading treats an entity it holds: what is loaded stays as it is (changes not yet
        # flushed included); what was expired is filled from the row.
        unloaded = inspect(present).unloaded
        if unloaded:
            for name, value in zip(of.names, values, strict=True):
                if name in unloaded:
                    set_committed_value(present, name, value)
        return present
    # As the ORM's loading makes one: a new instance with its values put in place, not set one by one through
    # its attributes (a third of the cost), then keyed as read from the database.
    made = manager_of_class(of.model).new_instance()
    made.__dict__.update(zip(of.names, values, strict=True))
    make_transient_to_detached(made)
    session.add(made)
    return made


async def inserted(session: AsyncSession, of: Entity[E], values: Mapping[str, Any]) -> E:
    """A new row of ``of.model`` with ``values`` (by attribute name; the columns' defaults for the others),
    inserted in the session's transaction, and its entity as :func:`loaded` makes one: the row as the
    database stored it, part of the session, nothing marked changed.

    For a new entity that needs nothing else of the ORM's unit of work (no relationship set on it): a flush
    of one new object sorts the session's work and tracks the object through it, and costs about a third
    more than the whole transaction does this way (``INSERT … RETURNING`` as a plain statement). What the
    session holds unflushed goes first, flushed as before any statement the session runs (autoflush).
    """
    row = (await session.execute(of.insert, values)).one()
    made = loaded(session, of, row)
    assert made is not None  # the key the database just gave it
    return made
