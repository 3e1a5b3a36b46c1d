"""SQLAlchemy models of a small shop, as the text of a models.py that tests write to a folder
(customers with a unique e-mail, orders with an enum and a check, order items keyed by order and line)."""

import textwrap

MODELS = textwrap.dedent('''
    import enum
    from datetime import date, datetime
    from decimal import Decimal

    from sqlalchemy import CheckConstraint, Enum, ForeignKey, Numeric, String, Text
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Status(enum.Enum):
        new = "new"
        paid = "paid"
        shipped = "shipped"


    class Base(DeclarativeBase):
        pass


    class Customer(Base):
        __tablename__ = "customers"
        id: Mapped[int] = mapped_column(primary_key=True)
        email: Mapped[str] = mapped_column(String(120), unique=True)
        full_name: Mapped[str] = mapped_column(String(80))
        phone: Mapped[str | None] = mapped_column(String(30))
        city: Mapped[str | None] = mapped_column(String(60))
        birth_date: Mapped[date | None]
        signed_up_at: Mapped[datetime]


    class Order(Base):
        __tablename__ = "orders"
        __table_args__ = (CheckConstraint("total >= 1", name="positive_total"),)
        id: Mapped[int] = mapped_column(primary_key=True)
        customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
        status: Mapped[Status] = mapped_column(Enum(Status, name="order_status"))
        total: Mapped[Decimal] = mapped_column(Numeric(10, 2))
        note: Mapped[str | None] = mapped_column(Text)


    class OrderItem(Base):
        __tablename__ = "order_items"
        order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
        line_no: Mapped[int] = mapped_column(primary_key=True)
        sku: Mapped[str] = mapped_column(String(12))
        quantity: Mapped[int]
''')

# the harder shapes: a self-reference, a one-to-one key, a composite key and foreign key, a
# check, and types beyond text and numbers
SHAPES = textwrap.dedent('''
    import uuid

    from sqlalchemy import (JSON, CheckConstraint, Float, ForeignKey, ForeignKeyConstraint, LargeBinary,
                            SmallInteger, String, Time, Uuid)
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Employee(Base):
        __tablename__ = "employees"
        __table_args__ = (CheckConstraint("age >= 18 AND age <= 70", name="adult"),)
        id: Mapped[int] = mapped_column(primary_key=True)
        manager_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
        username: Mapped[str] = mapped_column(String(30), unique=True)
        salary: Mapped[float] = mapped_column(Float)
        age: Mapped[int] = mapped_column(SmallInteger)
        starts_at = mapped_column(Time)


    class Profile(Base):
        __tablename__ = "profiles"
        id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
        employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), unique=True)
        settings = mapped_column(JSON)
        photo = mapped_column(LargeBinary)


    class Region(Base):
        __tablename__ = "regions"
        country: Mapped[str] = mapped_column(String(2), primary_key=True)
        code: Mapped[str] = mapped_column(String(5), primary_key=True)
        name: Mapped[str] = mapped_column(String(50))


    class Office(Base):
        __tablename__ = "offices"
        __table_args__ = (ForeignKeyConstraint(["country", "region_code"], ["regions.country", "regions.code"]),)
        id: Mapped[int] = mapped_column(primary_key=True)
        country: Mapped[str] = mapped_column(String(2))
        region_code: Mapped[str] = mapped_column(String(5))
''')
