"""Article prose for the extraction tests: one made-up local news story in several languages, plain
paragraphs that every extractor must keep whole."""

PROSE_EN = [
    "The city council voted on Tuesday to extend the night bus service to the northern suburbs, a "
    "decision that residents of the area had been requesting for almost three years.",
    "Under the plan, which will cost about four million dollars a year, buses will run every twenty "
    "minutes between midnight and five in the morning on the three busiest routes.",
    "Supporters said the change would help shift workers at the hospital and the distribution centres "
    "who currently have no way to get home after their shifts end.",
    "Opponents on the council argued that the money would be better spent on repairing roads, and "
    "several of them questioned whether enough people would use the buses at night.",
    "The transport department said it would publish ridership figures every quarter and that the "
    "service could be reviewed after the first full year of operation.",
    "The first night buses are expected to start running in the spring, once the new drivers have "
    "been hired and trained for the routes.",
]

PROSE_DE = [
    "Der Stadtrat hat am Dienstag beschlossen, den Nachtbusverkehr in die nördlichen Vororte "
    "auszuweiten, nachdem die Anwohner dies seit fast drei Jahren gefordert hatten.",
    "Nach dem Plan, der jährlich etwa vier Millionen Euro kosten wird, sollen die Busse zwischen "
    "Mitternacht und fünf Uhr morgens alle zwanzig Minuten auf den drei wichtigsten Linien fahren.",
    "Die Befürworter sagten, dass die Änderung vor allem den Beschäftigten im Krankenhaus und in den "
    "Logistikzentren helfen werde, die nach dem Ende ihrer Schicht bisher nicht nach Hause kommen.",
    "Die Gegner im Rat hielten dagegen, dass das Geld besser für die Reparatur der Straßen ausgegeben "
    "werden sollte, und bezweifelten, dass die Busse in der Nacht genug genutzt würden.",
    "Die Verkehrsbehörde kündigte an, dass sie die Fahrgastzahlen jedes Quartal veröffentlichen und "
    "den Dienst nach dem ersten vollen Betriebsjahr überprüfen werde.",
    "Die ersten Nachtbusse sollen im Frühjahr fahren, sobald die neuen Fahrer eingestellt und für die "
    "Linien geschult worden sind.",
]

PROSE_FR = [
    "Le conseil municipal a voté mardi la prolongation du service de bus de nuit vers les banlieues du "
    "nord, une décision que les habitants du quartier réclamaient depuis près de trois ans.",
    "Selon le projet, qui coûtera environ quatre millions d'euros par an, les bus circuleront toutes "
    "les vingt minutes entre minuit et cinq heures du matin sur les trois lignes les plus fréquentées.",
    "Les partisans de la mesure ont expliqué qu'elle aiderait surtout les salariés de l'hôpital et des "
    "centres logistiques qui ne peuvent pas rentrer chez eux à la fin de leur service.",
    "Les opposants au conseil ont estimé que cet argent serait mieux utilisé pour la réfection des "
    "routes, et plusieurs d'entre eux doutent que les bus soient assez utilisés la nuit.",
    "La direction des transports a indiqué qu'elle publierait la fréquentation chaque trimestre et que "
    "le service pourrait être revu après la première année complète.",
]
