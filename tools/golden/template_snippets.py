"""Small Jinja templates, one feature each, that make_template_golden.py renders with transformers' sandboxed
jinja2 environment (all with SNIPPET_VARIABLES) to check fovea's engine feature by feature. The expected output
(or error) always comes from jinja2, never from this file.
"""

MSGS = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi <there> & 'you'"},
    {"role": "assistant", "content": "Hello!", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]},
]
SNIPPET_VARIABLES = {"n": 7, "f": 2.5, "s": "Hello World", "u": "ΣΑΣ ß ǅ café 😀", "l": [3, 1, 2], "d": {"b": 2, "a": 1, "C": 3},
        "e": "", "none": None, "t": True, "words": ["b", "A", "a", "c"], "nested": {"x": {"y": [10, 20, {"z": "deep"}]}},
        "people": [{"name": "Bo", "age": 30}, {"name": "al", "age": 25}, {"name": "Cy", "age": 30}], "msgs": MSGS}

SNIPPET_TEMPLATES = [
    # ---- literals and printing ----
    "{{ 1 }}|{{ -1 }}|{{ 1.0 }}|{{ 1.5e3 }}|{{ 1e-5 }}|{{ 1e16 }}|{{ 1e15 }}|{{ 0.1 + 0.2 }}|{{ 2**0.5 }}",
    "{{ 10 / 4 }}|{{ 10 // 4 }}|{{ -7 // 2 }}|{{ -7 % 3 }}|{{ 7 % -3 }}|{{ 2 ** 10 }}|{{ 2 ** -1 }}|{{ 2 ** 3 ** 2 }}",
    "{{ 7.5 // 2 }}|{{ -7.5 % 2 }}|{{ 1 / 3 }}|{{ 2 / 1 }}|{{ 1e308 * 10 }}|{{ -(1e308 * 10) }}",
    "{{ true }}|{{ True }}|{{ false }}|{{ none }}|{{ None }}|{{ [] }}|{{ {} }}|{{ () }}|{{ (1,) }}|{{ (1, 2) }}",
    "{{ [1, 'a', none, true, 1.5, [2], {'k': 'v'}] }}",
    "{{ {'a': 1, 'b': [1, 2], 1: 'int key', none: 0, (1, 2): 't'} }}",
    "{{ 'it\\'s' }}|{{ \"say \\\"hi\\\"\" }}|{{ ['it\\'s', \"a\\\"b\", 'both\\'\"'] }}",
    "{{ 'tab\\tnl\\ncr\\r' }}|{{ ['tab\\tnl\\n\\x01\\x7f\\x85\\u200b\\u3000é😀'] }}",
    "{{ '\\x41\\u00e9\\U0001F600\\101\\N{BULLET}' }}|{{ '\\q\\é' }}",
    "{{ 'a' 'b' \"c\" }}|{{ 0x1F }}|{{ 0o17 }}|{{ 0b101 }}|{{ 1_000_000 }}|{{ 1_0.5 }}",
    "{{ 'x' ~ 1 ~ none ~ true ~ [1] ~ undefined_var }}",
    "{{ u }}|{{ u|length }}|{{ u[0] }}|{{ u[-1] }}|{{ u[::-1] }}|{{ u[2:5] }}",
    "{{ s[0] }}{{ s[-1] }}{{ s[1:4] }}{{ s[::2] }}{{ s[::-1] }}{{ s[100:] }}{{ s[-100:2] }}{{ s[5:1:-1] }}",
    "{{ l[::-1] }}|{{ l[1:] }}|{{ l[:-1] }}|{{ l[-9:] }}|{{ (1,2,3)[1:] }}|{{ l[0:3:2] }}|{{ l[none:none] }}",
    "{{ s[1.5:2] }}",
    "{{ l[0:3:0] }}",
    # ---- whitespace control ----
    "a  {{- 'b' -}}  c\n  {%- if true %}  d  {% endif -%}  \n e",
    "line1\n    {% if true %}\n    inside\n    {% endif %}\nline2",
    "x {%+ if true %} y {% endif +%}\n z",
    "{% for i in [1, 2] %}\n  {{ i }}\n{% endfor %}\n",
    "  {# comment #}\nafter\n  {#- trimmed -#}  x",
    "{% raw %}{{ not rendered }} {% if %}{% endraw %}|{%- raw -%}  spaced  {%- endraw -%}|",
    "text\n\n",
    "a\r\nb\rc\n",
    "\t{% if true %}\tx{% endif %}\n\t{{ 'y' }}",
    "{{ 'a' }}\n{{ 'b' }}\n",
    "{%- set x = 1 -%}\n\n   {{ x }}   \n\n{%- set y = 2 %}\n{{ y }}",
    # ---- if / elif / else and truthiness ----
    "{% if n > 5 %}big{% elif n > 2 %}mid{% else %}small{% endif %}",
    "{% if e %}a{% elif none %}b{% elif [] %}c{% elif {} %}d{% elif 0 %}e{% elif 0.0 %}f{% else %}g{% endif %}",
    "{{ 1 if t else 2 }}|{{ 1 if e else 2 }}|{{ 'x' if e }}|{{ ('x' if e) is defined }}",
    "{{ (none if false).attr }}",
    "{{ n and s }}|{{ e and s }}|{{ e or 'dflt' }}|{{ none or 0 or [] }}|{{ not e }}|{{ not not s }}",
    "{{ 1 < 2 < 3 }}|{{ 3 > 2 > 2 }}|{{ 1 == 1.0 }}|{{ true == 1 }}|{{ 'a' < 'b' }}|{{ [1, 2] < [1, 3] }}",
    "{{ 'ab' in 'cabd' }}|{{ 2 in l }}|{{ 'a' in d }}|{{ 'z' not in d }}|{{ 1 in (1, 2) }}|{{ x in [] }}",
    "{{ 1 < 'a' }}",
    "{{ 1 in none }}",
    "{{ 1 in 'abc' }}",
    "{{ d == {'a': 1, 'b': 2, 'C': 3} }}|{{ [1] == (1,) }}|{{ none == none }}|{{ undefined_a == undefined_b }}",
    # ---- for loops ----
    "{% for x in l %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}"
    "{{ loop.last }}{{ loop.length }}:{{ x }};{% endfor %}",
    "{% for x in l %}{{ loop.previtem }}-{{ loop.nextitem }}|{% endfor %}",
    "{% for x in l %}{{ loop.cycle('odd', 'even') }}{% endfor %}|{% for x in [1, 1, 2] %}{{ loop.changed(x) }}{% endfor %}",
    "{% for x in [] %}a{% else %}empty{% endfor %}|{% for x in l if x > 1 %}{{ x }}{{ loop.index }}{{ loop.length }}{% endfor %}",
    "{% for k, v in d.items() %}{{ k }}={{ v }},{% endfor %}|{% for k in d %}{{ k }}{% endfor %}",
    "{% for a, b in [[1, 2], (3, 4), 'xy'] %}{{ a }}{{ b }}{% endfor %}",
    "{% for a, b in [[1, 2, 3]] %}{% endfor %}",
    "{% for c in 'héllo' %}[{{ c }}]{% endfor %}|{% for x in none_var %}x{% endfor %}",
    "{% for x in none %}{% endfor %}",
    "{% for x in 5 %}{% endfor %}",
    "{% for i in range(5) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}",
    "{% for row in [[1, 2], [3]] %}{% for x in row %}{{ loop.index }}/{{ x }} {% endfor %}{{ loop.index }};{% endfor %}",
    "{% for x in nested.x.y recursive %}{% if x is mapping %}{{ x.z }}{% elif x is iterable %}{{ loop(x) }}"
    "{% else %}{{ x }}@{{ loop.depth }}{% endif %}{% endfor %}",
    "{% for x in [1] %}{{ loop(x) }}{% endfor %}",
    "{% for x in l %}{% set y = x * 2 %}{{ y }}{% endfor %}[{{ y }}]",
    "{% set y = 7 %}{% for i in [1, 2] %}{{ y }}{% set y = i %}{{ y }}{% endfor %}{{ y }}",
    "{% for i in range(3) %}{{ i }}{% endfor %}|{{ range(2, 10, 3)|list }}|{{ range(5, 0, -2)|list }}|{{ range(0) }}",
    "{% for i in range(100001) %}{% endfor %}",
    "{{ range(1, 2, 0) }}",
    "{{ range('a') }}",
    "{% for x in l %}{{ loop }}{% endfor %}",
    # ---- set, namespace, with ----
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}|{% set c = [1, 2] %}{% set x, y = c %}{{ y }}{{ x }}",
    "{% set ns = namespace(count=0, items=[]) %}{% for i in l %}{% set ns.count = ns.count + i %}"
    "{% set ns.items = ns.items + [i] %}{% endfor %}{{ ns.count }}{{ ns.items }}{{ ns }}",
    "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns.missing }}|{{ ns['a'] }}",
    "{% set ns = namespace() %}{% set ns._hidden = 1 %}",
    "{% set x = 5 %}{% set x.attr = 1 %}",
    "{% set block %}inner {{ n }}{% endset %}[{{ block }}]|{% set up | upper %}shout{% endset %}{{ up }}",
    "{% with a = 1, b = 2 %}{{ a + b }}{% set c = 3 %}{% endwith %}[{{ a }}{{ c }}]",
    "{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}",
    "{% set ns = namespace(a=0) %}{% set ns.a, b = 1, 2 %}{{ ns.a }}{{ b }}",
    "{% for ns.a in [1] %}{% endfor %}",
    "{% for m in msgs %}{% macro tag() %}<{{ m.role }}>{% endmacro %}{{ tag() }}{% endfor %}",
    "{% for k, v, w in [(1, 2, 3)] %}{{ k + v + w }}{% endfor %}|{% for x in l %}{{ loop.changed(x > 1, 'k') }}{% endfor %}",
    # ---- macros and call blocks ----
    "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}"
    "{{ greet('Bo') }}|{{ greet('Al', greeting='Hi') }}|{{ greet(name='Cy') }}|{{ greet() }}",
    "{% macro m(a, b=a * 2) %}{{ a }}{{ b }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1) }}|{{ m(1, 2, 3, k=4) }}",
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}",
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(b=2) }}",
    "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, a=2) }}",
    "{% macro m() %}<{{ caller() }}>{% endmacro %}{% call m() %}body {{ n }}{% endcall %}",
    "{% macro m(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}"
    "{% call(x) m([1, 2]) %}[{{ x * 10 }}]{% endcall %}",
    "{% macro m() %}x{% endmacro %}{% call m() %}y{% endcall %}",
    "{% macro m() %}{{ outer }}{% endmacro %}{% set outer = 'late' %}{{ m() }}|{{ m }}|{{ m.name }}",
    "{% macro twice(t) %}{{ t }}{{ t }}{% endmacro %}{{ twice('ab') + '!' }}|{{ twice('x')|length }}",
    "{% macro fact(k) %}{% if k <= 1 %}1{% else %}{{ k * fact(k - 1)|int }}{% endif %}{% endmacro %}{{ fact(6) }}",
    "{% macro loop_forever(k) %}{{ loop_forever(k + 1) }}{% endmacro %}{{ loop_forever(0) }}",
    "{% filter upper %}shout {{ s }}{% endfilter %}|{% filter replace('a', 'o') | title %}banana split{% endfilter %}",
    # ---- attribute and item lookup, undefined ----
    "{{ msgs[0].role }}|{{ msgs[0]['content'] }}|{{ msgs[2].tool_calls[0].function.name }}|{{ msgs.0.role }}",
    "{{ d.a }}|{{ d['a'] }}|{{ d.missing }}|{{ d['missing'] }}|{{ d.items is defined }}|{{ l[10] }}|{{ nested.x.y.2.z }}",
    "{{ d.missing.attr }}",
    "{{ l[10].attr }}",
    "{{ undefined_var }}|{{ undefined_var is defined }}|{{ undefined_var is undefined }}|{{ undefined_var|length }}",
    "{{ undefined_var.attr }}",
    "{{ undefined_var + 1 }}",
    "{{ undefined_var() }}",
    "{{ undefined_var ~ 'x' }}|{{ undefined_var|default('dflt') }}|{{ undefined_var|d('d2') }}|{{ none|default('n') }}"
    "|{{ none|default('n', true) }}|{{ ''|default('e', boolean=true) }}",
    "{% if undefined_var %}yes{% else %}no{% endif %}{% for x in undefined_var %}x{% endfor %}",
    "{{ msgs[0].missing is defined }}|{{ msgs[5] is defined }}|{{ 'role' in msgs[0] }}|{{ msgs[0].get('role') }}"
    "|{{ msgs[0].get('nope') }}|{{ msgs[0].get('nope', 'fallback') }}",
    "{{ d.keys() }}|{{ d.values() }}|{{ d.items() }}|{{ d.items()|list }}|{{ d.copy() }}|{{ d.items()|length }}",
    "{{ d.update({}) }}",
    "{{ l.append(4) }}",
    "{{ l.pop() }}",
    "{{ l.append }}|{{ d.pop }}",
    "{{ l.index(2) }}|{{ l.count(3) }}|{{ (1, 2, 1).count(1) }}",
    "{{ s.__class__ }}",
    "{{ s.__class__.__mro__ }}",
    "{{ 5.real }}|{{ 2.5.imag }}|{{ true.numerator }}|{{ 7.denominator }}|{{ 5.nope }}",
    # ---- tests ----
    "{{ n is odd }}{{ n is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(2) }}{{ none is none }}"
    "{{ t is boolean }}{{ 1 is boolean }}{{ t is true }}{{ 1 is true }}{{ false is false }}",
    "{{ n is integer }}{{ t is integer }}{{ f is float }}{{ n is number }}{{ t is number }}{{ s is string }}"
    "{{ d is mapping }}{{ l is mapping }}{{ l is sequence }}{{ s is sequence }}{{ d is sequence }}",
    "{{ l is iterable }}{{ s is iterable }}{{ n is iterable }}{{ range is callable }}{{ s is callable }}"
    "{{ 'AB' is upper }}{{ 'ab' is lower }}{{ 'aB' is lower }}{{ l is sameas l }}{{ 1 is in [1] }}",
    "{{ 1 is eq 1 }}{{ 1 is ne 2 }}{{ 2 is gt 1 }}{{ 2 is ge 2 }}{{ 1 is lt 2 }}{{ 1 is le 0 }}{{ 'a' is equalto 'a' }}"
    "{{ 3 is greaterthan 2 }}{{ 2 is lessthan 1 }}{{ 'upper' is filter }}{{ 'nope' is filter }}{{ 'odd' is test }}",
    "{{ s is not string }}{{ not s is string }}{{ msgs|selectattr('role', 'equalto', 'user')|list|length }}",
    "{{ 'x' is odd }}",
    "{{ n is nosuchtest }}",
    # ---- filters ----
    "{{ s|upper }}|{{ s|lower }}|{{ s|title }}|{{ 'hello-world (x) [y] <z>'|title }}|{{ s|capitalize }}|{{ u|upper }}"
    "|{{ u|lower }}|{{ u|title }}|{{ 'ǆemal ß'|capitalize }}",
    "{{ '  pad  '|trim }}|{{ 'xxhixx'|trim('x') }}|{{ s|replace('l', 'L') }}|{{ s|replace('l', '', 1) }}"
    "|{{ 'aaa'|replace('', '-') }}|{{ 123|string }}|{{ none|string }}|{{ [1]|string }}",
    "{{ l|length }}|{{ s|length }}|{{ d|count }}|{{ l|first }}|{{ l|last }}|{{ s|first }}|{{ []|first }}|{{ d|first }}",
    "{{ l|join(', ') }}|{{ [1, 'a', none]|join }}|{{ people|join(', ', attribute='name') }}|{{ 'abc'|join('-') }}",
    "{{ l|sort }}|{{ l|sort(reverse=true) }}|{{ words|sort }}|{{ words|sort(case_sensitive=true) }}"
    "|{{ people|sort(attribute='age')|map(attribute='name')|join }}|{{ people|sort(attribute='age,name')|map(attribute='name')|join }}",
    "{{ [1, 'a']|sort }}",
    "{{ d|dictsort }}|{{ d|dictsort(true) }}|{{ d|dictsort(by='value', reverse=true) }}|{{ d|items|list }}",
    "{{ words|unique|list }}|{{ words|unique(case_sensitive=true)|list }}|{{ people|unique(attribute='age')|list|length }}",
    "{{ l|min }}|{{ l|max }}|{{ words|min }}|{{ words|max }}|{{ people|max(attribute='age') }}|{{ []|max }}",
    "{{ l|sum }}|{{ people|sum(attribute='age') }}|{{ [[1], [2]]|sum(start=[]) }}|{{ [0.1, 0.2]|sum }}",
    "{{ l|list }}|{{ s|list }}|{{ d|list }}|{{ l|reverse|list }}|{{ s|reverse }}|{{ d|reverse|list }}",
    "{{ msgs|map(attribute='role')|list }}|{{ words|map('upper')|list }}|{{ l|map('string')|join('+') }}"
    "|{{ people|map(attribute='missing', default='?')|list }}",
    "{{ l|select('odd')|list }}|{{ l|reject('odd')|list }}|{{ [0, 1, '', 'a', none]|select|list }}"
    "|{{ people|selectattr('age', 'gt', 26)|map(attribute='name')|list }}|{{ people|rejectattr('age', 'eq', 30)|list }}",
    "{{ msgs|selectattr('tool_calls')|list|length }}|{{ msgs|selectattr('tool_calls', 'defined')|list|length }}"
    "|{{ msgs|rejectattr('role', 'in', ['user', 'system'])|map(attribute='content')|first }}",
    "{% set g = l|select('odd') %}{{ g|list }}{{ g|list }}|{% if [1]|select('even') %}truthy{% endif %}",
    "{{ l|select('odd')|length }}",
    "{{ [1, 2, 3, 4, 5]|batch(2)|list }}|{{ [1, 2, 3]|batch(2, 'x')|list }}|{{ [1, 2, 3, 4, 5]|slice(3)|list }}"
    "|{{ [1, 2, 3, 4]|slice(3, 0)|list }}",
    "{{ -3|abs }}|{{ -2.5|abs }}|{{ 2.5|round }}|{{ 3.5|round }}|{{ 2.675|round(2) }}|{{ 7|round }}"
    "|{{ 1.23456|round(3, 'floor') }}|{{ 1.2|round(0, 'ceil') }}|{{ 1234.5|round(-2) }}",
    "{{ '42'|int }}|{{ '4.7'|int }}|{{ ' 12 '|int }}|{{ 'x'|int }}|{{ 'x'|int(7) }}|{{ '0x1F'|int(0, 16) }}"
    "|{{ '0b11'|int(base=2) }}|{{ '1_000'|int }}|{{ 3.99|int }}|{{ true|int }}|{{ none|int }}",
    "{{ '3.5'|float }}|{{ 'x'|float }}|{{ 2|float }}|{{ ' -1e3 '|float }}|{{ 'inf'|float }}|{{ 'nan'|float }}",
    "{{ 'Hello %s, you are %d (%.2f)'|format('Bo', 30, 1.5) }}|{{ '%(a)s-%(b)s'|format(a=1, b=2) }}"
    "|{{ '%5s|%-5s|%05d|%x|%o|%e|%g|%c|%r|%%'|format('ab', 'cd', 42, 255, 8, 12345.678, 0.0001, 65, 'q') }}",
    "{{ '%s %s'|format(1) }}",
    "{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent('> ', blank=true) }}",
    "{{ 'The quick brown fox jumps over'|truncate(15) }}|{{ 'The quick brown fox'|truncate(10, true) }}"
    "|{{ 'short'|truncate(3, leeway=0) }}|{{ 'abc'|center(9) }}|{{ 'hello world, foo-bar'|wordcount }}",
    "{{ '<a href=\"x\">&\\'</a>'|e }}|{{ '<b>'|escape }}|{{ '<i>'|safe }}|{{ 5|e }}",
    "{{ d|attr('items') is defined }}|{{ d|attr('a') is defined }}|{{ msgs[0]|tojson }}",
    "{{ d|tojson }}|{{ d|tojson(indent=2) }}|{{ d|tojson(sort_keys=true) }}|{{ u|tojson }}|{{ u|tojson(ensure_ascii=true) }}",
    "{{ [1, 2.0, none, true, 'x', {'k': [1e-05, 1e16]}]|tojson }}|{{ {'a': 1}|tojson(separators=(',', ':')) }}"
    "|{{ {'a': [1, {'b': 2}], 'c': {}}|tojson(indent=1) }}|{{ []|tojson(indent=2) }}|{{ 'q\"\\\\\\n\\t\\x01\\x7f'|tojson }}",
    "{{ {1: 'a', none: 'b', true: 'c', 2.5: 'd'}|tojson }}|{{ (1, 2)|tojson }}",
    "{{ undefined_var|tojson }}",
    "{{ namespace(a=1)|tojson }}",
    "{{ l|nosuchfilter }}",
    "{{ l|groupby('x') }}",
    # ---- string methods ----
    "{{ s.upper() }}|{{ s.lower() }}|{{ s.title() }}|{{ 'hELLO wORLD'.capitalize() }}|{{ s.swapcase() }}"
    "|{{ u.upper() }}|{{ u.lower() }}|{{ u.title() }}|{{ 'ΑΣ'.lower() }}|{{ 'ΑΣ Β'.lower() }}",
    "{{ '  x  '.strip() }}|{{ '  x  '.lstrip() }}|{{ '  x  '.rstrip() }}|{{ 'xxaxx'.strip('x') }}|{{ '\\n\\nhi\\n'.strip('\\n') }}"
    "|{{ 'abcba'.lstrip('ab') }}|{{ '\\u3000wide\\u00a0'.strip() }}|{{ 'é x é'.strip('é') }}",
    "{{ 'a,b,,c'.split(',') }}|{{ ' a  b \\n c '.split() }}|{{ 'a b c'.split(none, 1) }}|{{ 'a b c'.rsplit(' ', 1) }}"
    "|{{ 'a,b,c'.split(',', 1) }}|{{ ''.split(',') }}|{{ ''.split() }}|{{ '  a b  '.rsplit(none, 1) }}",
    "{{ 'a\\nb\\r\\nc\\rd'.splitlines() }}|{{ 'x\\ny\\n'.splitlines(true) }}",
    "{{ 'abc'.split('') }}",
    "{{ s.startswith('Hell') }}|{{ s.startswith(('x', 'H')) }}|{{ s.endswith('ld') }}|{{ s.startswith('World', 6) }}"
    "|{{ s.endswith('Hello', 0, 5) }}|{{ u.startswith('ΣΑ') }}",
    "{{ s.find('o') }}|{{ s.rfind('o') }}|{{ s.find('zz') }}|{{ s.index('W') }}|{{ s.count('l') }}|{{ u.find('é') }}"
    "|{{ s.find('o', 5) }}|{{ 'aaaa'.count('aa') }}|{{ 'abc'.count('') }}",
    "{{ s.index('zz') }}",
    "{{ s.replace('o', '0') }}|{{ s.replace('l', 'L', 2) }}|{{ ', '.join(['a', 'b']) }}|{{ ''.join('xyz') }}"
    "|{{ s.center(15, '*') }}|{{ s.ljust(13, '.') }}|{{ s.rjust(13) }}|{{ '42'.zfill(5) }}|{{ '-4'.zfill(4) }}",
    "{{ ', '.join([1, 2]) }}",
    "{{ s.partition(' ') }}|{{ s.rpartition('o') }}|{{ 'nope'.partition('x') }}|{{ s.removeprefix('Hello ') }}"
    "|{{ s.removesuffix('World') }}|{{ 'a\\tb'.expandtabs(4) }}",
    "{{ '123'.isdigit() }}{{ '12a'.isdigit() }}{{ 'abc'.isalpha() }}{{ 'ab1'.isalnum() }}{{ '  '.isspace() }}"
    "{{ 'ab'.islower() }}{{ 'AB'.isupper() }}{{ 'Ab Cd'.istitle() }}{{ ''.isdigit() }}{{ '½'.isnumeric() }}"
    "{{ '²'.isdecimal() }}{{ 'é'.isascii() }}{{ 'x_1'.isidentifier() }}",
    "{{ '{} and {}'.format('a', 'b') }}|{{ '{1}{0}{1}'.format('a', 'b') }}|{{ '{name}!'.format(name='Bo') }}"
    "|{{ '{:>6}|{:<6}|{:^7}|{:*^7}'.format('r', 'l', 'c', 'c') }}|{{ '{:.3f}|{:08.2f}|{:+d}|{:,}|{:x}|{:#o}|{:e}|{:%}'.format(3.14159, -2.5, 5, 1234567, 255, 8, 1234.5, 0.25) }}",
    "{{ '{0[role]} {0.content}'.format(msgs[0]) }}|{{ '{{literal}} {}'.format(1) }}|{{ '{!r}'.format('q') }}"
    "|{{ '{:5}|{:<5}|{:5}'.format(42, 42, 'ab') }}|{{ '{:.2}'.format(1234.5) }}|{{ '{:.3}'.format(1.0) }}",
    "{{ '{} {}'.format(1) }}",
    # ---- operators on strings and lists ----
    "{{ 'ab' + 'cd' }}|{{ [1] + [2] }}|{{ (1,) + (2,) }}|{{ 'ab' * 3 }}|{{ 2 * [0] }}|{{ 'x' * 0 }}|{{ 'x' * -1 }}",
    "{{ 'a' + 1 }}",
    "{{ 1 + 'a' }}",
    "{{ [1] + (2,) }}",
    "{{ 'a' * 'b' }}",
    "{{ 1 / 0 }}",
    "{{ 1 // 0 }}",
    "{{ 1.0 % 0 }}",
    "{{ -'a' }}",
    "{{ 'Name: %s' % 'Bo' }}|{{ '%d-%d' % (1, 2) }}|{{ '%(x)s' % {'x': 'mapped'} }}",
    # ---- globals ----
    "{{ dict(a=1, b=2) }}|{{ dict([('x', 1)]) }}|{{ dict({'k': 'v'}, z=0) }}|{{ namespace(a=1) }}",
    "{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}{{ c.current }}{{ c.reset() }}{{ c.next() }}",
    "{% set j = joiner(' | ') %}{% for x in l %}{{ j() }}{{ x }}{% endfor %}",
    "{{ raise_exception('Custom failure: ' ~ n) }}",
    "{{ strftime_now('%Y-%m-%d') }}|{{ strftime_now('%d %B %Y, %A %H:%M') }}|{{ strftime_now('%j %a %b %y') }}",
    "{{ range(3)|list }}{{ range(2, 5)|join(',') }}",
    # ---- syntax errors ----
    "{% if %}",
    "{% if true %}no end",
    "{% for x in l %}{% endif %}",
    "{{ 1 + }}",
    "{{ 'unterminated }}",
    "{% unknowntag %}",
    "{{ (1, 2 }}",
    "{{ x ! y }}",
    "{# open comment",
    "{% break %}",
    "{% macro m(a=1, b) %}{% endmacro %}",
    "{% set 1 = 2 %}",
    "{{ 1 is is odd }}",
    "{{ '\\x4' }}",
    "{% include 'other.html' %}",
    "line1\nline2 {{ oops( }}",
    # ---- generation tag, loop controls inside blocks ----
    "{% for m in msgs %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}"
    "{% else %}[{{ m.role }}]{% endif %}{% endfor %}",
    "{% for x in l %}{% if x == 1 %}{% break %}{% endif %}{{ x }}{% else %}none{% endfor %}",
    "{% for i in [1, 2, 3] %}{% set x %}a{% if i == 2 %}{% break %}{% endif %}{% endset %}{{ i }}{{ x }}{% endfor %}",
    "{% for i in [1, 2, 3] %}{% filter upper %}a{% if i == 2 %}{% continue %}{% endif %}b{% endfilter %}{{ i }}"
    "{% endfor %}",
    # ---- more whitespace and lexer corners ----
    "{% if true %}  \n{% endif %}|\n  {%- if true %}b{% endif %}|{{- ' x ' -}}|  {{ 'v' }}",
    "\u3000\t {% if true %}x{% endif %}\u3000\n\u00a0{% if true %}y{% endif %}",
    "  {# c #}\nx{# c2 #}\ny\n{#- c3 #}   z",
    "{% raw %}\n  x\n{% endraw %}\nafter\n  {% raw -%}\n  y  {%- endraw %}|",
    "x\n\n",
    "{% set x = 1 %}\n{{ x }}\n{% set y = 2 +%}\n{{ y }}",
    "a\r\n  {% if true %}\r\n  b\r\n  {% endif %}\r\nc",
    "{%- for i in [1, 2] -%}\n   [{{ i }}]\n{%- endfor -%}\n",
    "{% for i in [1, 2] %}{{ i }}{%+ if true %} {% endif %}{% endfor %}",
    "{{ [0.1, -0.0, 1e22, 1.5e-7, 123456789.123, 1e100, 5e-324, 0.5, 2.0 ** 60] }}",
    "{{ {'a': 1, 'a': 2, 'b': 3} }}|{{ {'x': msgs[1]} }}|{{ u|list }}",
    "{{ [msgs[1].content] }}|{{ ['\\', '\'', '\"', '\'\"'] }}",
    "{% set t = (1, 'a') %}{{ t }}{{ t[1] }}{{ t|length }}{{ t + (2,) }}{{ t * 2 }}",
    "{% macro outer() %}[{{ caller('in') }}]{% endmacro %}{% macro inner(x) %}<{{ x }}>{% endmacro %}"
    "{% call(v) outer() %}{{ inner(v) }}{% endcall %}",
    "{% for x in [[1, [2, [3]]]] recursive %}{{ loop.depth0 }}{% if x is iterable %}({{ loop(x) }}){% else %}{{ x }}{% endif %}{% endfor %}",
    "{% set parts %}{% for m in msgs %}{{ m.role[0] }}{% endfor %}{% endset %}{{ parts|upper }}|{{ parts|length }}",
    "{% with %}{% set inner = 1 %}{{ inner }}{% endwith %}{{ inner is defined }}",
    "{{ msgs|map(attribute='content')|map('length')|list }}|{{ msgs|map('tojson')|first }}",
    "{{ '%s' % (none,) }}|{{ '%5.1f%%' % 12.345 }}|{{ '%-4s|' % 'ab' }}|{{ '%+.3e' % 1234.5 }}",
    "{{ '{:>{w}}'.format('x', w=4) }}|{{ '{:_d}'.format(1234567) }}|{{ '{:08.3f}'.format(-3.14159) }}",
    "{{ 3 % 2 }}{{ -3 % 2 }}{{ 3.5 % 1 }}{{ 10 // 3.0 }}{{ -10 // 3 }}{{ 0 ** 0 }}{{ 2 * 3.0 }}{{ true + true }}",
    "{{ 1 == 1 == 1 }}{{ 2 != 2 }}{{ 'b' >= 'a' }}{{ none == false }}{{ 0 == false }}{{ 1.0 == true }}",
    "{{ n if n > 100 else f if f > 2 else s }}",
    "{{ l|join }}{{ [true, none]|join(',') }}{{ d|join('|') }}",
    "{{ (l|map('string')|join(','))|replace(',', ';') }}|{{ s|replace('o', 'O')|lower|title }}",
    "{{ 'abc'[5] }}|{{ 'abc'[-5] }}|{{ 'abc'[1] }}|{{ l[-1] }}|{{ l[true] }}|{{ d[none] }}",
    "{{ s.split(' ')[-1].lower() }}|{{ s.split()|first }}|{{ ('a ' ~ s).split(maxsplit=1) }}",
    "{% set x = '<tool_call>\n{}\n</tool_call>' %}{{ x.startswith('<tool_call>') and x.endswith('</tool_call>') }}",
]
