-- Mutually referencing tables and a self reference.
CREATE TABLE departments (
    id integer NOT NULL,
    head_id integer,
    parent_id integer,
    CONSTRAINT departments_pkey PRIMARY KEY (id)
);
CREATE TABLE employees (
    id integer NOT NULL,
    department_id integer NOT NULL,
    CONSTRAINT employees_pkey PRIMARY KEY (id),
    CONSTRAINT employees_department_id_fkey FOREIGN KEY (department_id) REFERENCES departments(id)
);
ALTER TABLE departments ADD CONSTRAINT departments_head_id_fkey FOREIGN KEY (head_id) REFERENCES employees(id) ON DELETE SET NULL;
ALTER TABLE departments ADD CONSTRAINT departments_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES departments(id);
CREATE INDEX departments_head_id_idx ON departments (head_id);
CREATE INDEX employees_department_id_idx ON employees (department_id);
